// SPDX-License-Identifier: MIT
package io.tmidb.cli;

import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.testkit.SchemaFingerprint;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static io.tmidb.testkit.Sql.column;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code tmictl storage migrate}: ts_obs holding data goes from native partitions to a hypertable
 * and back; each time it ends as a new database of that shape is (the extension's objects compared
 * one by one), with the same rows, the views on it working, and no event made; what cannot be done
 * is refused with the reason, and nothing changes.
 */
@TmidbTest
class StorageMigrateCommandIT {
    /** Four weeks of readings, one far in the past (the default partition), a listener, a view on ts_obs and one on that. */
    private static final String DATA = """
            SELECT tmi.add_target('meter ' || m, 'meter', jsonb_build_object('site', 'S' || m), 'M' || m) FROM generate_series(1, 4) m;
            SELECT tmi.observe(tmi.target_id('meter', 'M' || m), timestamptz '2026-11-02 00:00Z' + h * interval '4 hours',
                               jsonb_build_object('kwh', m * 100 + h), 37.5 + m / 100.0, 127.0)
              FROM generate_series(1, 4) m, generate_series(0, 6 * 28 - 1) h;
            SELECT tmi.maintain_partitions();
            SELECT tmi.observe(tmi.target_id('meter', 'M1'), timestamptz '2019-01-01 00:00Z', '{"kwh": 1}');
            SELECT tmi.add_listener('alice');
            SELECT tmi.subscribe('alice', 'meter', ARRAY['kwh']);
            CREATE SCHEMA api_v1;
            CREATE VIEW api_v1.meter_obs AS
            SELECT o.obs_id, o.target_id, o.ts, (o.payload ->> 'kwh')::double precision AS kwh
              FROM tmi.ts_obs o JOIN tmi.target t ON t.target_id = o.target_id WHERE t.kind = 'meter';
            CREATE TRIGGER api_write INSTEAD OF INSERT ON api_v1.meter_obs
               FOR EACH ROW EXECUTE FUNCTION tmi.api_obs_write('meter', '{}');
            CREATE VIEW api_v1.meter_daily WITH (security_barrier = true) AS
            SELECT target_id, date_trunc('day', ts) AS day, sum(kwh) AS kwh FROM api_v1.meter_obs GROUP BY 1, 2;
            ALTER VIEW api_v1.meter_obs OWNER TO tmi_admin;
            COMMENT ON VIEW api_v1.meter_obs IS 'kind meter, schema version 1';
            GRANT USAGE ON SCHEMA api_v1 TO tmi_speaker;
            GRANT SELECT ON api_v1.meter_obs TO tmi_speaker, tmi_listener;
            GRANT INSERT ON api_v1.meter_obs TO tmi_speaker;
            GRANT SELECT ON api_v1.meter_daily TO tmi_speaker;
            """;
    private static final String ROWS = "SELECT count(*) || ' ' || md5(string_agg(o::text, ',' ORDER BY target_id, ts)) FROM tmi.ts_obs o";
    private static final String VIEWS = """
            SELECT string_agg(c.oid::regclass || ' ' || c.relacl::text || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '-')
                              || ' ' || coalesce(c.reloptions::text, '-') || ' ' || pg_get_viewdef(c.oid), E'\\n' ORDER BY c.relname)
              FROM pg_class c WHERE c.relnamespace = 'api_v1'::regnamespace""";

    @Test
    void tsObsWithDataGoesToAHypertableAndBack(TestDatabase db, @TempDir Path tmp) throws Exception {
        assumeTrue(db.cluster().installation().hasExtension("timescaledb"),
                "TimescaleDB is not installed in this PostgreSQL, so ts_obs cannot be migrated to a hypertable here");
        List<String> freshHypertable;
        try (Connection c = db.sibling("fresh_hypertable", true).connect()) {
            freshHypertable = SchemaFingerprint.of(c);
        }
        List<String> freshNative;
        try (Connection c = db.sibling("fresh_native", false).connect()) {
            freshNative = SchemaFingerprint.of(c);
        }
        TestDatabase d = db.sibling("migrated", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute(DATA);
            String rows = scalar(c, ROWS);
            String views = scalar(c, VIEWS);
            long events = d.lastEventId();

            Tmictl up = Tmictl.run(d, "storage", "migrate", "--to", "hypertable");
            assertEquals(ExitCodes.OK, up.exitCode(), up.err());
            java.util.regex.Matcher plan = java.util.regex.Pattern.compile(
                    "^migrate: ts_obs to a TimescaleDB hypertable: (\\d+) partitions, about \\d+ rows").matcher(up.out());
            assertTrue(plan.find(), up.out());
            assertTrue(up.out().contains("migrate: " + plan.group(1) + " of " + plan.group(1) + " tmi.ts_obs_p"), up.out());
            assertTrue(up.out().contains(" tmi.ts_obs_default: 1 rows"), "the reading of 2019 in the default partition: " + up.out());
            assertTrue(up.out().contains("migrate: ts_obs is a TimescaleDB hypertable: 673 rows, "), up.out());
            assertTrue(up.out().strip().endsWith("2 views recreated"), up.out());
            assertEquals("timescaledb", scalar(c, "SELECT tmi.storage_mode()"));
            assertEquals(freshHypertable, SchemaFingerprint.of(c), () -> difference(freshHypertable, c));
            assertEquals(rows, scalar(c, ROWS));
            assertEquals(views, scalar(c, VIEWS), "the views, their grants, comments and options");
            assertEquals(events, d.lastEventId(), "the migration makes no event");
            worksAfterMigration(c, d, events);
            restoresFromABackup(d, db.sibling("restored_hypertable", false), "timescaledb", tmp.resolve("hypertable"));

            Tmictl again = Tmictl.run(d, "storage", "migrate", "--to", "hypertable");
            assertEquals(ExitCodes.ERROR, again.exitCode(), again.err());
            assertTrue(again.err().contains("tmictl: error: ts_obs is already a TimescaleDB hypertable (SQLSTATE 55000)"), again.err());
            assertTrue(again.err().contains("tmictl: hint: "), again.err());

            String rowsBefore = scalar(c, ROWS);
            Tmictl down = Tmictl.run(d, "storage", "migrate", "--to", "partitions");
            assertEquals(ExitCodes.OK, down.exitCode(), down.err());
            assertTrue(down.out().contains("migrate: ts_obs to native partitions: "), down.out());
            assertTrue(down.out().contains("migrate: ts_obs is natively partitioned: 673 rows, "), down.out());
            assertEquals("native", scalar(c, "SELECT tmi.storage_mode()"));
            assertEquals(freshNative, SchemaFingerprint.of(c), () -> difference(freshNative, c));
            assertEquals(rowsBefore, scalar(c, ROWS));
            assertEquals(views, scalar(c, VIEWS));
            assertTrue(scalarLong(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass") > 5,
                    "a partition per week");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default"), "every reading in its week's partition");
            assertTrue(column(c, "SELECT unnest(extconfig)::regclass::text FROM pg_extension WHERE extname = 'tmidb'")
                    .contains("tmi.ts_obs_default"), "the default partition's rows are dumped, as in a new database");
            worksAfterMigration(c, d, d.lastEventId());
            restoresFromABackup(d, db.sibling("restored_native", false), "native", tmp.resolve("native"));
        }
    }

    /** A backup of the migrated database restores, verified against its manifest, in the same shape. */
    private static void restoresFromABackup(TestDatabase migrated, TestDatabase target, String mode, Path dir) throws Exception {
        Tmictl b = Tmictl.run(migrated, "backup", dir.toString());
        assertEquals(ExitCodes.OK, b.exitCode(), b.err());
        Tmictl r = Tmictl.run(target, "restore", dir.toString());
        assertEquals(ExitCodes.OK, r.exitCode(), r.err());
        assertTrue(r.out().contains("restore: verified "), r.out());
        try (Connection c = target.connect()) {
            assertEquals(mode, scalar(c, "SELECT tmi.storage_mode()"));
        }
    }

    @Test
    void whatCannotBeDoneIsRefusedAndChangesNothing(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("refused", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.observe(tmi.add_target('m', 'meter', '{}', 'M'), '2026-11-02 00:00Z', '{\"kwh\": 1}')");
            String rows = scalar(c, ROWS);

            Tmictl same = Tmictl.run(d, "storage", "migrate", "--to", "partitions");
            assertEquals(ExitCodes.ERROR, same.exitCode(), same.err());
            assertTrue(same.err().contains("tmictl: error: ts_obs is already natively partitioned (SQLSTATE 55000)"), same.err());

            Tmictl bad = Tmictl.run(d, "storage", "migrate", "--to", "cubes");
            assertEquals(ExitCodes.ERROR, bad.exitCode(), bad.err());
            assertTrue(bad.err().contains("tmictl: error: unknown storage \"cubes\" (SQLSTATE 22023)"), bad.err());

            // a function whose body names ts_obs would be left pointing at nothing
            st.execute("CREATE FUNCTION public.obs_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM tmi.ts_obs; END");
            if (db.cluster().installation().hasExtension("timescaledb")) {
                Tmictl held = Tmictl.run(d, "storage", "migrate", "--to", "hypertable");
                assertEquals(ExitCodes.ERROR, held.exitCode(), held.err());
                assertTrue(held.err().contains("tmictl: error: objects outside ts_obs depend on it: function public.obs_count()"
                        + " (SQLSTATE 55000)"), held.err());
            }
            assertEquals("native", scalar(c, "SELECT tmi.storage_mode()"));
            assertEquals(rows, scalar(c, ROWS));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM pg_class WHERE relname = 'ts_obs_migrating'"));
        }
    }

    /** What differs from a new database of the same shape, which CREATE EXTENSION makes. */
    private static String difference(List<String> fresh, Connection migrated) {
        try {
            List<String> now = SchemaFingerprint.of(migrated);
            List<String> onlyFresh = new java.util.ArrayList<>(fresh);
            onlyFresh.removeAll(now);
            List<String> onlyMigrated = new java.util.ArrayList<>(now);
            onlyMigrated.removeAll(fresh);
            return "only in a new database:\n" + String.join("\n", onlyFresh) + "\nonly in the migrated one:\n"
                    + String.join("\n", onlyMigrated);
        } catch (SQLException e) {
            return e.toString();
        }
    }

    /** Triggers, the key and the views work on the new ts_obs: a reading makes its event, a repeat merges, a view writes. */
    private static void worksAfterMigration(Connection c, TestDatabase d, long events) throws SQLException, InterruptedException {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT tmi.observe(tmi.target_id('meter', 'M2'), '2026-12-24 00:00Z', '{\"kwh\": 5}')");
            st.execute("SELECT tmi.observe(tmi.target_id('meter', 'M2'), '2026-12-24 00:00Z', '{\"volts\": 230}')");
            assertEquals("{\"kwh\": 5, \"volts\": 230}", scalar(c, "SELECT payload FROM tmi.ts_obs"
                    + " WHERE target_id = tmi.target_id('meter', 'M2') AND ts = '2026-12-24 00:00Z'"));
            assertTrue(d.lastEventId() > events, "the new reading made events");
            st.execute("SET ROLE tmi_speaker");
            st.execute("INSERT INTO api_v1.meter_obs (target_id, ts, kwh) VALUES (tmi.target_id('meter', 'M3'), '2026-12-25 00:00Z', 7)");
            assertEquals("7", scalar(c, "SELECT kwh FROM api_v1.meter_daily WHERE day = '2026-12-25 00:00Z'"));
            st.execute("RESET ROLE");
            st.execute("DELETE FROM tmi.ts_obs WHERE ts >= '2026-12-24 00:00Z'");
        }
    }
}
