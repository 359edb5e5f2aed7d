// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.cluster.Node;
import io.tmidb.testkit.SchemaFingerprint;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.tmidb.testkit.Sql.column;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static io.tmidb.testkit.Sql.set;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A 0.1 database holding data, updated with {@code ALTER EXTENSION tmidb UPDATE}, on both storages:
 * it must end with exactly the objects a new 0.2 database has, keep its data (readings stored twice
 * by 0.1 merged into one), make no events of its own, and behave as 0.2 afterwards.
 */
@TmidbTest
class UpgradeIT {
    /** Written with 0.1: three weeks of readings (some in the default partition), positions, a listener. */
    private static final String DATA_0_1 = """
            SELECT tmi.add_target('meter ' || m, 'meter', jsonb_build_object('site', 'S' || m), 'M' || m) FROM generate_series(1, 5) m;
            SELECT tmi.observe(tmi.target_id('meter', 'M' || m), timestamptz '2026-11-02 00:00Z' + h * interval '3 hours',
                               jsonb_build_object('kwh', m * 100 + h), 37.5 + m / 100.0, 127.0)
              FROM generate_series(1, 5) m, generate_series(0, 8 * 21 - 1) h;
            SELECT tmi.maintain_partitions();
            SELECT tmi.observe(tmi.target_id('meter', 'M1'), timestamptz '2019-01-01 00:00Z', '{"kwh": 1}');
            INSERT INTO tmi.ts_obs (target_id, ts, payload)
            SELECT tmi.target_id('meter', 'M2'), timestamptz '2026-11-02 00:00Z', p
              FROM (VALUES ('{"kwh": 200}'::jsonb), ('{"kwh": 200}'), ('{"kwh": 201, "volts": 230}')) v (p);
            INSERT INTO tmi.ts_obs (target_id, ts, payload)
            SELECT tmi.target_id('meter', 'M1'), timestamptz '2019-01-01 00:00Z', '{"volts": 229}';
            SELECT tmi.add_listener('alice');
            SELECT tmi.subscribe('alice', 'meter', ARRAY['kwh']);
            SELECT tmi.add_alarm('meter', 'kwh', '>', 1000);
            -- an observation view as 0.1's schema-version generator made it
            CREATE SCHEMA api_v1;
            CREATE VIEW api_v1.meter_obs WITH (security_invoker = true) AS
            SELECT o.obs_id, o.target_id, o.ts, (p.payload ->> 'kwh')::double precision AS kwh
              FROM tmi.ts_obs o JOIN tmi.target t ON t.target_id = o.target_id
             CROSS JOIN LATERAL (SELECT tmi.visible_payload(o.target_id, o.ts, o.obs_id) AS payload OFFSET 0) p
             WHERE t.kind = 'meter';
            COMMENT ON VIEW api_v1.meter_obs IS 'kind meter, schema version 1';
            GRANT USAGE ON SCHEMA api_v1 TO tmi_speaker;
            GRANT SELECT ON api_v1.meter_obs TO tmi_speaker;
            """;
    private static final String TARGETS = "SELECT md5(string_agg(t::text, ',' ORDER BY target_id)) FROM tmi.target t";
    private static final String POSITIONS = "SELECT md5(string_agg(g::text, ',' ORDER BY target_id, ts)) FROM tmi.geo_trace g";
    private static final String READINGS = """
            SELECT md5(string_agg(target_id::text || ts::text || payload::text, ',' ORDER BY target_id, ts))
              FROM (SELECT target_id, ts, payload FROM tmi.ts_obs
                     WHERE NOT (ts IN ('2026-11-02 00:00Z', '2019-01-01 00:00Z') AND target_id IN
                                (tmi.target_id('meter', 'M1'), tmi.target_id('meter', 'M2')))) o""";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"native", "timescaledb"})
    void aDatabaseWithDataUpdatesToWhatANewOneIs(String storage, TestDatabase db) throws SQLException {
        boolean timescale = storage.equals("timescaledb");
        if (timescale) {
            assumeTrue(db.cluster().installation().hasExtension("timescaledb"),
                    "TimescaleDB is not installed in this PostgreSQL, so the hypertable upgrade is not tested");
        }
        List<String> fresh;
        try (Connection c = db.sibling("fresh_" + storage, timescale).connect()) {
            assertEquals("0.2", scalar(c, "SELECT extversion FROM pg_extension WHERE extname = 'tmidb'"));
            fresh = SchemaFingerprint.of(c);
        }
        String old = db.emptySibling("old_" + storage);
        try (Connection c = db.cluster().connect(old, TestDatabase.TEST_APP_NAME); Statement st = c.createStatement()) {
            if (timescale) {
                st.execute("CREATE EXTENSION timescaledb");
            }
            st.execute("CREATE EXTENSION tmidb VERSION '0.1' CASCADE");
            st.execute(DATA_0_1);
            assertEquals(5 * 168 + 1 + 4, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"), "0.1 stores readings twice");
            String targets = scalar(c, TARGETS);
            String positions = scalar(c, POSITIONS);
            String readings = scalar(c, READINGS);
            long events = scalarLong(c, "SELECT count(*) FROM tmi.event_log");
            long rawRows = scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket");

            st.execute("ALTER EXTENSION tmidb UPDATE");

            assertEquals("0.2", scalar(c, "SELECT extversion FROM pg_extension WHERE extname = 'tmidb'"));
            assertEquals(fresh, SchemaFingerprint.of(c), () -> difference(fresh, c));
            assertEquals(targets, scalar(c, TARGETS));
            assertEquals(positions, scalar(c, POSITIONS));
            assertEquals(readings, scalar(c, READINGS), "readings stored once are unchanged");
            assertEquals(5 * 168 + 1, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"), "one reading per target and time");
            assertEquals("{\"kwh\": 201, \"volts\": 230}", scalar(c, "SELECT payload FROM tmi.ts_obs"
                    + " WHERE target_id = tmi.target_id('meter', 'M2') AND ts = '2026-11-02 00:00Z'"), "later rows win per field");
            assertEquals("{\"kwh\": 1, \"volts\": 229}", scalar(c, "SELECT payload FROM tmi.ts_obs"
                    + " WHERE target_id = tmi.target_id('meter', 'M1') AND ts = '2019-01-01 00:00Z'"));
            assertEquals(events, scalarLong(c, "SELECT count(*) FROM tmi.event_log"), "the update makes no events");
            assertEquals(rawRows, scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket"));
            if (!timescale) {
                assertEquals(Set.of("PRIMARY KEY (target_id, ts)"), set(c, """
                        SELECT pg_get_constraintdef(con.oid) FROM pg_inherits i JOIN pg_constraint con ON con.conrelid = i.inhrelid
                         WHERE i.inhparent = 'tmi.ts_obs'::regclass AND con.contype = 'p'"""), "every partition's key");
                assertTrue(scalarLong(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass") > 3);
            }

            // the versions 0.1 made take observations over REST and have the front door, outside the extension
            st.execute("SET ROLE tmi_speaker");
            st.execute("INSERT INTO api_v1.meter_obs (target_id, ts, kwh) SELECT tmi.target_id('meter', 'M4'), '2026-12-01 00:00Z', 7");
            assertEquals(List.of("7"), column(c, "SELECT payload->>'kwh' FROM tmi.ts_obs WHERE ts = '2026-12-01 00:00Z'"));
            assertEquals(scalar(c, "SELECT tmi.target_id('meter', 'M4')"), scalar(c, "SELECT api_v1.target_id('meter', 'M4')"));
            st.execute("RESET ROLE");
            assertEquals("0", scalar(c, "SELECT count(*) FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass"
                    + " AND d.objid = p.oid WHERE d.deptype = 'e' AND p.pronamespace = 'api_v1'::regnamespace"));
            st.execute("DELETE FROM tmi.ts_obs WHERE ts = '2026-12-01 00:00Z'");

            // and it behaves as 0.2: the same reading again stores nothing and makes no event
            long before = scalarLong(c, "SELECT count(*) FROM tmi.event_log");
            st.execute("SELECT tmi.observe(tmi.target_id('meter', 'M3'), '2026-11-02 03:00Z', '{\"kwh\": 301}')");
            assertEquals(5 * 168 + 1, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(before, scalarLong(c, "SELECT count(*) FROM tmi.event_log"));
        }
    }

    /** What tmidbd does when a node starts (Node.prepareDatabase) updates a 0.1 database too. */
    @Test
    void startingANodeUpdatesItsExtension(TestDatabase db) throws SQLException {
        List<String> fresh;
        try (Connection c = db.connect()) {
            fresh = SchemaFingerprint.of(c);
        }
        String old = db.emptySibling("old_node");
        try (Connection c = db.cluster().connect(old, TestDatabase.TEST_APP_NAME); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION tmidb VERSION '0.1' CASCADE");
            st.execute("SELECT tmi.add_target('Meter 1', 'meter', '{}', 'M1')");
            Node.prepareDatabase(db.cluster(), old, false);
            assertEquals("0.2", scalar(c, "SELECT extversion FROM pg_extension WHERE extname = 'tmidb'"));
            assertEquals(fresh, SchemaFingerprint.of(c), () -> difference(fresh, c));
            assertEquals("Meter 1", scalar(c, "SELECT name FROM tmi.target"));
        }
    }

    /** The lines only one of the two fingerprints has, for the failure message. */
    private static String difference(List<String> fresh, Connection upgraded) {
        try {
            List<String> up = SchemaFingerprint.of(upgraded);
            List<String> onlyFresh = new ArrayList<>(fresh);
            onlyFresh.removeAll(up);
            List<String> onlyUpgraded = new ArrayList<>(up);
            onlyUpgraded.removeAll(fresh);
            return "only in a new 0.2 database:\n" + String.join("\n", onlyFresh)
                    + "\nonly in the updated one:\n" + String.join("\n", onlyUpgraded);
        } catch (SQLException e) {
            return e.toString();
        }
    }
}
