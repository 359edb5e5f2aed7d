// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's SQL tour, pasted into psql on a node with the demo data, works as it says. */
@TmidbTest
class ReadmeTourIT {
    private static final Path ROOT = Path.of(System.getProperty("tmidb.extension.dir", "../extension"))
            .resolve("..").normalize();

    @Test
    void tourRunsOnTheDemoData(TestDatabase db) throws Exception {
        TestDatabase demo = db.sibling("demo", false);
        TestDatabase.ClientResult loaded = demo.runClient(demo.name(),
                List.of("psql", "-X", "-q", "-f", ROOT.resolve("packaging/demo.sql").toString()));
        assertEquals(0, loaded.exitCode(), loaded.output());

        Matcher m = Pattern.compile("## A tour in SQL.*?```sql\\n(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(ROOT.resolve("README.md")));
        assertTrue(m.find(), "README.md has no SQL tour");
        Path tour = Files.createTempFile("tour", ".sql");
        try {
            Files.writeString(tour, m.group(1));
            String out = demo.runClient(demo.name(), List.of("psql", "-X", "-f", tour.toString())).output();
            // the one deliberate mistake at the end is the only error, and it explains itself
            assertEquals(1, out.split("ERROR:", -1).length - 1, out);
            assertTrue(out.contains("ERROR:  lat and lon must be given together"), out);
            assertTrue(out.contains("HINT:  Pass both coordinates"), out);
            assertTrue(out.contains(" same_target \n-------------\n t"), out);
            assertTrue(out.contains("Air sensor jung"), out);
            assertTrue(out.contains("field-app | pending"), out);
        } finally {
            Files.deleteIfExists(tour);
        }
    }
}
