// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.assertState;
import static io.tmidb.testkit.Sql.column;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Retention per kind and by default, on both storages: rows past their kind's limit go, whole
 * partitions or chunks go once no kind keeps them, each target keeps its latest position, and
 * every kind that lost rows gets one event.
 */
@TmidbTest
class RetentionIT {
    /** Readings 300, 200, 100 and 10 days old and a fresh one for a meter; a bike's old readings and positions. */
    private static final String HISTORY = """
            SELECT tmi.observe(tmi.add_target('Meter 1', 'meter', '{}', 'M1'), now() - d * interval '1 day',
                               jsonb_build_object('kwh', d))
              FROM unnest(ARRAY[300, 200, 100, 10, 0]) d;
            SELECT tmi.observe(tmi.add_target('Bike 1', 'bike', '{}', 'B1'), now() - d * interval '1 day',
                               jsonb_build_object('speed', d), 37.5 + d / 1000.0, 127.0)
              FROM unnest(ARRAY[300, 200]) d;
            SELECT tmi.maintain_partitions();""";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"native", "timescaledb"})
    void oldHistoryGoesByKindAndByDefault(String storage, TestDatabase db) throws SQLException {
        boolean timescale = storage.equals("timescaledb");
        if (timescale) {
            assumeTrue(db.cluster().installation().hasExtension("timescaledb"),
                    "TimescaleDB is not installed in this PostgreSQL, so the hypertable path is not tested");
        }
        TestDatabase d = db.sibling("retention_" + storage, timescale);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute(HISTORY);
            long eventsBefore = scalarLong(c, "SELECT count(*) FROM tmi.event_log");
            assertEquals("ok no retention set: everything is kept", status(c));
            assertEquals(List.of(), column(c, "SELECT kind FROM tmi.apply_retention()"));
            assertEquals(7, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));

            // a kind's own limit: the meter's readings older than 30 days go, row by row (the bike has
            // no limit, so no partition or chunk may go)
            st.execute("SELECT tmi.set_retention('meter', '30 days')");
            assertEquals(List.of("meter 3 0 0"), column(c,
                    "SELECT kind || ' ' || observations || ' ' || positions || ' ' || partitions_dropped FROM tmi.apply_retention()"));
            assertEquals(List.of("0", "10"), column(c, "SELECT payload->>'kwh' FROM tmi.ts_obs o"
                    + " JOIN tmi.target t USING (target_id) WHERE t.kind = 'meter' ORDER BY o.ts DESC"));
            assertEquals(List.of("200", "300"), column(c, "SELECT payload->>'speed' FROM tmi.ts_obs o"
                    + " JOIN tmi.target t USING (target_id) WHERE t.kind = 'bike' ORDER BY o.ts DESC"));
            assertEquals("retention meter 3 0", scalar(c, "SELECT event_type || ' ' || kind || ' ' || (payload->>'observations')"
                    + " || ' ' || (payload->>'partitions_dropped') FROM tmi.event_log WHERE event_type = 'retention'"));

            // a default for every other kind: with both limits set, what is older than the longest
            // (250 days) goes as whole partitions or chunks, the rest row by row
            st.execute("SELECT tmi.set_retention(NULL, '250 days')");
            long partitions = partitionsOrChunks(c, timescale);
            List<String> applied = column(c, "SELECT kind || ' ' || observations || ' ' || positions || ' '"
                    + " || (partitions_dropped > 0) FROM tmi.apply_retention() ORDER BY kind");
            // the bike's 300-day reading left with its partition or chunk, not as a deleted row
            assertEquals(List.of("bike 0 1 true", "meter 0 0 true"), applied);
            assertTrue(partitionsOrChunks(c, timescale) < partitions, "a partition or chunk was dropped");
            assertEquals(List.of("200"), column(c, "SELECT payload->>'speed' FROM tmi.ts_obs"
                    + " JOIN tmi.target t USING (target_id) WHERE t.kind = 'bike'"));
            // the bike's 300-day position went; its latest, though older than the limit, is where it is
            assertEquals(List.of("37.7"), column(c, "SELECT lat::text FROM tmi.geo_trace"));
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.near(37.7, 127.0, 100)"));
            assertEquals(3, scalarLong(c, "SELECT count(*) FROM tmi.event_log WHERE event_type = 'retention'"));
            assertTrue(status(c).startsWith("ok meter 30 days, default 250 days; last applied "), status(c));
            assertTrue(status(c).endsWith(" partitions dropped, 0 observations and 1 positions deleted"), status(c));

            // nothing left to do: no new events
            column(c, "SELECT kind FROM tmi.apply_retention()");
            assertEquals(eventsBefore + 3, scalarLong(c, "SELECT count(*) FROM tmi.event_log"));

            // removing a setting
            st.execute("SELECT tmi.set_retention('meter', NULL)");
            assertEquals(List.of("bike 250 days", "meter 250 days"), column(c,
                    "SELECT kind || ' ' || keep FROM tmi.retention_limits() ORDER BY kind"));
        }
    }

    @Test
    void badSettingsAreRefusedAndChangeNothing(TestDatabase db) throws SQLException {
        TestDatabase d = db.sibling("retention_bad", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.set_retention('meter', '90 days')");
            assertEquals("invalid kind: Meter Readings",
                    assertFails(c, "22023", "SELECT tmi.set_retention('Meter Readings', '1 day')").getMessage());
            assertEquals("keep must be a positive interval",
                    assertFails(c, "22023", "SELECT tmi.set_retention('meter', '-1 day')").getMessage());
            assertEquals("keep must be a positive interval",
                    assertFails(c, "22023", "SELECT tmi.set_retention('meter', '0 seconds')").getMessage());
            assertEquals("meter 90 days", scalar(c, "SELECT kind || ' ' || keep FROM tmi.retention"));
            // only admins configure retention or run it
            st.execute("SET ROLE tmi_speaker");
            assertEquals("permission denied for function set_retention",
                    assertState(c, "42501", "SELECT tmi.set_retention('meter', '1 day')").getServerErrorMessage().getMessage());
            assertEquals("permission denied for function apply_retention",
                    assertState(c, "42501", "SELECT * FROM tmi.apply_retention()").getServerErrorMessage().getMessage());
            st.execute("RESET ROLE");
            assertEquals("meter 90 days", scalar(c, "SELECT kind || ' ' || keep FROM tmi.retention"));
        }
    }

    private static String status(Connection c) throws SQLException {
        return scalar(c, "SELECT state || ' ' || detail FROM tmi.status() WHERE subsystem = 'retention'");
    }

    private static long partitionsOrChunks(Connection c, boolean timescale) throws SQLException {
        return scalarLong(c, timescale
                ? "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'ts_obs'"
                : "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass");
    }
}
