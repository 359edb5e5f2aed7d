// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CREATE EXTENSION creates the whole schema; DROP removes it; pg_dump output restores elsewhere. */
@TmidbTest
class ExtensionLifecycleIT {
    /** The tables of the design, then tmiDB's own bookkeeping (settings, attribute sets, work queues, alarm state). */
    static final Set<String> TABLES = Set.copyOf(List.of("target", "ts_obs", "geo_trace", "raw_bucket",
            "model_versions", "ingest_connector", "mapping_rule", "alarm_rule", "alarm_event", "listener",
            "listener_subscription", "stream_def", "event_log", "file_attachment",
            "config", "kind_attr", "schema_pending", "alarm_pending", "alarm_state", "server_secret",
            "relay_cursor", "preview_request", "token", "retention", "retention_applied",
            "file_upload", "file_trash", "file_store"));

    @Test
    void createsEveryTableWithItsKey(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(TABLES, Sql.set(c, "SELECT relname FROM pg_class WHERE relnamespace = 'tmi'::regnamespace"
                    + " AND relkind IN ('r', 'p') AND NOT relispartition"));
            // ts_obs's key lives on each partition (see the extension script); all others on the table
            Set<String> withPrimaryKey = Sql.set(c, "SELECT conrelid::regclass::text FROM pg_constraint"
                    + " WHERE contype = 'p' AND connamespace = 'tmi'::regnamespace");
            for (String t : TABLES) {
                String rel = t.equals("ts_obs") ? "tmi.ts_obs_default" : "tmi." + t;
                assertTrue(withPrimaryKey.contains(rel), rel + " has a primary key");
            }
            assertEquals(Set.of("PRIMARY KEY (target_id, ts)"), Sql.set(c,
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'tmi.ts_obs_default'::regclass"
                            + " AND contype = 'p'"));
            assertEquals(Set.of("UNIQUE (kind, ext_key)"), Sql.set(c,
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'tmi.target'::regclass"
                            + " AND contype = 'u'"));
        }
    }

    @Test
    void indexesPositionsAsPoints(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(Set.of("CREATE INDEX geo_trace_point_idx ON tmi.geo_trace USING spgist (point(lon, lat))"),
                    Sql.set(c, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'tmi' AND indexdef LIKE '%gist%'"));
        }
    }

    @Test
    void createsTheRoles(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(Set.of("tmi_admin", "tmi_speaker", "tmi_listener", "tmi_anon", "tmi_preview", "tmi_worker"),
                    Sql.set(c, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'tmi\\_%'"));
            assertEquals(Set.of("true"), Sql.set(c, "SELECT pg_has_role('tmi_admin', 'tmi_speaker', 'USAGE')::text"));
            // the worker's role: a speaker's rights (and its work's), no admin's, no login of its own,
            // nothing of a superuser's
            assertEquals(Set.of("true false false false false"), Sql.set(c, "SELECT pg_has_role('tmi_worker', 'tmi_speaker', 'USAGE')"
                    + " || ' ' || pg_has_role('tmi_worker', 'tmi_admin', 'USAGE') || ' ' || rolcanlogin || ' ' || rolsuper"
                    + " || ' ' || rolcreaterole FROM pg_roles WHERE rolname = 'tmi_worker'"));
        }
    }

    @Test
    void dropRemovesEverythingAndCreateWorksAgain(TestDatabase db) throws SQLException {
        TestDatabase other = db.sibling("drop", false);
        try (Connection c = other.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.observe(tmi.add_target('t', 'thing', '{}', 'k'), '2100-01-01', '{\"v\": 1}')");
            st.execute("SELECT tmi.maintain_partitions()");
            st.execute("DROP EXTENSION tmidb");
            assertEquals(Set.of(), Sql.set(c, "SELECT nspname FROM pg_namespace WHERE nspname = 'tmi'"));
            assertEquals(Set.of(), Sql.set(c, "SELECT relname FROM pg_class WHERE relname LIKE 'ts\\_obs%'"));
            st.execute("CREATE EXTENSION tmidb");
            assertEquals(TABLES, Sql.set(c, "SELECT relname FROM pg_class WHERE relnamespace = 'tmi'::regnamespace"
                    + " AND relkind IN ('r', 'p') AND NOT relispartition"));
        }
    }

    @Test
    void dumpRestoresIntoAFreshDatabase(TestDatabase db) throws Exception {
        TestDatabase source = db.sibling("dump_src", false);
        try (Connection c = source.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_connector('feed', 'https://example.org/feed.json', '1 minute')");
            st.execute("SELECT tmi.ingest('feed', '{\"stations\": [1, 2, 3]}')");
            st.execute("SELECT tmi.ingest('manual', '{\"note\": \"typed by hand\"}')");
            st.execute("""
                    SELECT tmi.observe(tmi.add_target('bike ' || i, 'bike', jsonb_build_object('n', i), 'B' || i),
                                       t, jsonb_build_object('speed', i), 37.5 + i / 1000.0, 127.0 + i / 1000.0)
                      FROM generate_series(1, 50) i,
                           unnest(ARRAY['1900-01-01', '2026-06-01', '2100-01-01']::timestamptz[]) t""");
            st.execute("SELECT tmi.maintain_partitions()");
            // and rows parked in the default partition after the last maintenance
            st.execute("SELECT tmi.observe(tmi.target_id('bike', 'B1'), '2200-01-01', '{\"speed\": 0}')");
        }
        Map<String, String> before = contents(source);

        Path dump = Files.createTempFile("tmidb-dump", ".pgdump");
        try {
            TestDatabase.ClientResult dumped = db.runClient(source.name(), Map.of(), List.of("pg_dump", "-Fc", "-f", dump.toString()));
            assertEquals(0, dumped.exitCode(), dumped.output());
            String restoredDb = db.emptySibling("dump_dst");
            // triggers must not turn restored rows into new events: restore as a replica does
            TestDatabase.ClientResult restored = db.runClient(restoredDb, Map.of("PGOPTIONS", "-c session_replication_role=replica"),
                    List.of("pg_restore", "--exit-on-error", "-d", restoredDb, dump.toString()));
            assertEquals(0, restored.exitCode(), restored.output());

            try (Connection c = db.cluster().connect(restoredDb, TestDatabase.TEST_APP_NAME);
                 Statement st = c.createStatement()) {
                assertEquals(before, contents(c));
                // sequences continue after the restored rows
                try (ResultSet rs = st.executeQuery("SELECT tmi.ingest('manual', '{}')")) {
                    rs.next();
                    assertEquals(3, rs.getLong(1));
                }
                // the restored GiST index answers radius queries
                assertEquals(Set.of("bike 1"), Sql.set(c, "SELECT name FROM tmi.near(37.501, 127.001, 10)"));
            }
        } finally {
            Files.deleteIfExists(dump);
        }
    }

    /** Per table: row count and a checksum of all rows in a stable order. */
    private static Map<String, String> contents(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            return contents(c);
        }
    }

    private static Map<String, String> contents(Connection c) throws SQLException {
        Map<String, String> result = new LinkedHashMap<>();
        for (String t : TABLES) {
            assertFalse(t.contains("'"));
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(r::text, '|'"
                         + " ORDER BY r::text), '')) FROM tmi." + t + " r")) {
                rs.next();
                result.put(t, rs.getString(1));
            }
        }
        return result;
    }
}
