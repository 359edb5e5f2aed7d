// SPDX-License-Identifier: MIT
package io.tmidb.cli;

import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tmictl mapping suggest}: shows a rule and its preview, writes nothing; --apply registers it, never over a rule. */
@TmidbTest
class MappingSuggestCommandIT {
    private static final String STATES = """
            {"time": 1795780800, "states": [
              ["4b1815", "SWR123  ", "Switzerland", 1795780795, 8.5492, 47.4519, 1234.5, false],
              ["3c6444", "DLH4AX  ", "Germany", 1795780790, 11.7861, 48.3538, 9753.6, false],
              ["a0f1bb", "UAL901  ", "United States", 1795780791, -122.3088, 47.4502, 350.0, false],
              ["4ca7b5", "EIN2CT  ", "Ireland", 1795780780, -6.2700, 53.4213, 3048.0, false],
              ["c0817b", "ACA871  ", "Canada", 1795780792, -79.6248, 43.6777, 0.0, true]]}""";

    @Test
    void suggestShowsTheRuleAndAppliesItOnRequestOnly(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("cli_suggest", false);
        try (Connection c = d.connect(); PreparedStatement ingest = c.prepareStatement("SELECT tmi.ingest('planes', CAST(? AS jsonb))")) {
            ingest.setString(1, STATES);
            ingest.execute();

            Tmictl shown = Tmictl.run(d, "mapping", "suggest", "planes");
            assertEquals(ExitCodes.OK, shown.exitCode(), shown.err());
            assertTrue(shown.out().contains("\"iterate\": \"$.states[*]\"") && shown.out().contains("\"key\": \"$[0]\""), shown.out());
            assertTrue(shown.out().contains("preview of the newest document:") && shown.out().contains("\"ext_key\": \"4b1815\""),
                    shown.out());
            assertTrue(shown.out().lines().anyMatch(l -> l.startsWith("  key ")), shown.out());
            assertTrue(shown.out().contains("not applied: run again with --apply"), shown.out());
            assertEquals(0, Sql.scalarLong(c, "SELECT count(*) FROM tmi.mapping_rule"), "nothing applied");
            assertEquals(0, Sql.scalarLong(c, "SELECT count(*) FROM tmi.target"), "nothing written");

            Tmictl applied = Tmictl.run(d, "mapping", "suggest", "planes", "--apply");
            assertEquals(ExitCodes.OK, applied.exitCode(), applied.err());
            assertTrue(applied.out().contains("applied: rule "), applied.out());
            assertEquals("$[0]", Sql.scalar(c, "SELECT rule->>'key' FROM tmi.mapping_rule WHERE source = 'planes'"));
            assertEquals("pending", Sql.scalar(c, "SELECT status FROM tmi.raw_bucket WHERE source = 'planes'"),
                    "queued for mapping again under the new rule");

            Tmictl again = Tmictl.run(d, "mapping", "suggest", "planes", "--apply");
            assertEquals(ExitCodes.NOT_RUNNING, again.exitCode(), again.out());
            assertTrue(again.err().contains("has a rule already; a suggestion never replaces one"), again.err());

            Tmictl none = Tmictl.run(d, "mapping", "suggest", "nothing-here");
            assertEquals(ExitCodes.NOT_RUNNING, none.exitCode());
            assertTrue(none.err().contains("no document stored for source \"nothing-here\""), none.err());
        }
    }
}
