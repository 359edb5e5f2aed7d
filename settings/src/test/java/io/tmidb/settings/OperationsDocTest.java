// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/operations.md lists every setting as the catalog declares it: key, default, programs. */
class OperationsDocTest {

    @Test
    void theSettingsTableIsTheCatalog() throws IOException {
        List<String> rows = Files.readAllLines(Path.of("..", "docs", "operations.md")).stream()
                .filter(l -> l.startsWith("| `")).toList();
        for (Setting s : Setting.values()) {
            String row = rows.stream().filter(l -> l.startsWith("| `" + s.key() + "` |")).findFirst()
                    .orElseThrow(() -> new AssertionError("docs/operations.md has no row for " + s.key()));
            String[] cells = row.split(" \\| ");
            String shown = s.defaultText().isEmpty() ? "(empty)" : s.defaultValue().isPresent() ? "`" + s.defaultText() + "`" : s.defaultText();
            assertEquals(shown, cells[1], row);
            assertEquals(s.services().stream().map(Service::programName).collect(Collectors.joining(", ")), cells[2], row);
            assertTrue(row.contains(s.doc()), row);
        }
    }
}
