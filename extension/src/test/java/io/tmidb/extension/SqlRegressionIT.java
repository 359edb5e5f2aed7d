// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The extension's SQL regression tests: each {@code extension/test/sql/NAME.sql} runs through psql
 * in a fresh database and its output must equal {@code extension/test/expected/NAME.out}. On a
 * difference the actual output is written to {@code target/regression/NAME.out}.
 */
@TmidbTest
class SqlRegressionIT {
    private static final Path TEST_DIR = Path.of(System.getProperty("tmidb.extension.test.dir", "../extension/test"));

    @TestFactory
    Stream<DynamicTest> sqlFilesGiveTheExpectedOutput(TestDatabase db) throws IOException {
        List<Path> scripts;
        try (Stream<Path> files = Files.list(TEST_DIR.resolve("sql"))) {
            scripts = files.filter(p -> p.toString().endsWith(".sql")).sorted().toList();
        }
        assertTrue(!scripts.isEmpty(), "no SQL tests in " + TEST_DIR);
        return scripts.stream().map(script -> DynamicTest.dynamicTest(script.getFileName().toString(), () -> {
            String name = script.getFileName().toString().replace(".sql", "");
            TestDatabase fresh = db.sibling(name.toLowerCase(Locale.ROOT), false);
            String actual = fresh.runClient(fresh.name(), List.of("psql", "-X", "-a", "-q",
                    "-v", "ON_ERROR_STOP=0", "-f", script.toString())).output()
                    .replaceAll("psql:[^\\s]*/" + name + "\\.sql:", "psql:" + name + ".sql:");
            Path expectedFile = TEST_DIR.resolve("expected").resolve(name + ".out");
            String expected = Files.exists(expectedFile) ? Files.readString(expectedFile) : "";
            if (!actual.equals(expected)) {
                Path out = Path.of("target", "regression", name + ".out");
                Files.createDirectories(out.getParent());
                Files.writeString(out, actual);
            }
            assertEquals(expected, actual, "output of " + script + " (actual output in target/regression/)");
        }));
    }
}
