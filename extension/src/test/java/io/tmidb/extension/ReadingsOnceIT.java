// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tmidb.testkit.Sql.assertState;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A reading is stored once per target and time, whoever writes it and however (tmi.observe, a
 * plain INSERT, COPY, as a speaker): a repeat stores nothing and makes no event or alarm work; a
 * different value corrects the stored reading with one event. On both storages.
 */
@TmidbTest
class ReadingsOnceIT {
    private static final String EVENTS = "SELECT event_type || ' ' || CASE WHEN event_type LIKE 'obs%%'"
            + " THEN jsonb_path_query_array(payload, '$.obs[*].payload')::text ELSE payload->>'lat' END"
            + " FROM tmi.events_since(%d, 100)";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"native", "timescaledb"})
    void aRepeatedReadingIsStoredOnceAndADifferentOneCorrectsIt(String storage, TestDatabase db) throws Exception {
        boolean timescale = storage.equals("timescaledb");
        if (timescale) {
            assumeTrue(db.cluster().installation().hasExtension("timescaledb"),
                    "TimescaleDB is not installed in this PostgreSQL, so the hypertable path is not tested");
        }
        TestDatabase d = db.sibling("once_" + storage, timescale);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('Meter 1', 'meter', '{}', 'M1')");
            st.execute("SELECT tmi.add_alarm('meter', 'kwh', '>', 100)");
            String first = scalar(c, "SELECT tmi.observe('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 5, \"v\": 230}', 37.5, 127.0)");
            long seen = scalarLong(c, "SELECT max(event_id) FROM tmi.events_since(0, 1000)");
            long pending = scalarLong(c, "SELECT count(*) FROM tmi.alarm_pending");

            // the same reading again, by every way of writing: nothing stored, no event, no alarm work
            assertEquals(first, scalar(c, "SELECT tmi.observe('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 5, \"v\": 230}', 37.5, 127.0)"));
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES ('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 5}')");
            st.execute("INSERT INTO tmi.geo_trace (target_id, ts, lat, lon) VALUES ('" + id + "', '2026-11-20 10:00Z', 37.5, 127.0)");
            ((PGConnection) c).getCopyAPI().copyIn("COPY tmi.ts_obs (target_id, ts, payload) FROM STDIN",
                    new StringReader(id + "\t2026-11-20 10:00Z\t{\"v\": 230}\n"));
            st.execute("SET ROLE tmi_speaker");
            st.execute("SELECT tmi.observe('" + id + "', '2026-11-20 10:00Z', '{\"v\": 230}')");
            st.execute("RESET ROLE");
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.geo_trace"));
            assertEquals(List.of(), Sql.column(c, EVENTS.formatted(seen)));
            assertEquals(pending, scalarLong(c, "SELECT count(*) FROM tmi.alarm_pending"));

            // a different value is a correction: fields merge, the newer one wins; one event says so
            st.execute("SET ROLE tmi_speaker");
            assertEquals(first, scalar(c, "SELECT tmi.observe('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 150, \"pf\": 0.9}')"));
            st.execute("RESET ROLE");
            assertEquals("{\"v\": 230, \"pf\": 0.9, \"kwh\": 150}", scalar(c, "SELECT payload FROM tmi.ts_obs"));
            assertEquals(first, scalar(c, "SELECT obs_id FROM tmi.ts_obs"));
            assertEquals(List.of("obs.corrected [{\"v\": 230, \"pf\": 0.9, \"kwh\": 150}]"), Sql.column(c, EVENTS.formatted(seen)));
            assertEquals("{\"v\": 230, \"kwh\": 5}", scalar(c, "SELECT payload->'obs'->0->>'previous' FROM tmi.event_log"
                    + " WHERE event_type = 'obs.corrected'"));
            assertEquals("150", scalar(c, "SELECT payload->>'kwh' FROM tmi.alarm_pending ORDER BY pending_id DESC LIMIT 1"),
                    "the corrected reading is evaluated again");
            assertEquals(List.of("pf number"), Sql.column(c, "SELECT attr || ' ' || jtype FROM tmi.schema_pending"
                    + " WHERE attr = 'pf'"), "a field the correction brings is queued for the schema");

            // a position at the same instant elsewhere corrects the stored one
            long corrected = scalarLong(c, "SELECT max(event_id) FROM tmi.events_since(0, 1000)");
            st.execute("INSERT INTO tmi.geo_trace (target_id, ts, lat, lon) VALUES ('" + id + "', '2026-11-20 10:00Z', 37.6, 127.0)");
            assertEquals("37.6", scalar(c, "SELECT lat FROM tmi.geo_trace"));
            assertEquals(List.of("position.corrected 37.6"), Sql.column(c, EVENTS.formatted(corrected)));

            // readings repeated within one statement: the first is stored, later ones merge into it
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES ('" + id + "', '2026-11-21 10:00Z', '{\"kwh\": 1}'),"
                    + " ('" + id + "', '2026-11-21 10:00Z', '{\"kwh\": 1}'), ('" + id + "', '2026-11-21 10:00Z', '{\"kwh\": 2}')");
            assertEquals("{\"kwh\": 2}", scalar(c, "SELECT payload FROM tmi.ts_obs WHERE ts = '2026-11-21 10:00Z'"));
            assertEquals(2, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
        }
    }

    /**
     * Two sessions delivering the same new reading at once: the second waits on the key and, once
     * the first commits, is refused with 23505 (unique_violation), so it can retry; nothing is stored
     * twice, and its retry finds the reading stored.
     */
    @Test
    void concurrentFirstDeliveriesOfOneReadingStoreOneRow(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("race", false);
        String observe;
        try (Connection a = d.connect(); Connection b = d.connect(); Statement sa = a.createStatement()) {
            String id = scalar(a, "SELECT tmi.add_target('Meter 2', 'meter', '{}', 'M2')");
            observe = "SELECT tmi.observe('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 5}')";
            a.setAutoCommit(false);
            sa.execute(observe);
            int bPid = ((PGConnection) b).getBackendPID();
            CompletableFuture<PSQLException> second = CompletableFuture.supplyAsync(() -> assertState(b, "23505", observe));
            while (scalarLong(a, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + bPid + " AND wait_event_type = 'Lock'") == 0) {
                Thread.sleep(10);
            }
            a.commit();
            assertEquals("tmi", second.get(10, TimeUnit.SECONDS).getServerErrorMessage().getSchema());
            b.createStatement().execute(observe);
            assertEquals(1, scalarLong(b, "SELECT count(*) FROM tmi.ts_obs"));
        }
    }
    /**
     * tmi.readings_merged is for a writer that merged its readings itself (the mapping pipeline):
     * a session that sets it and writes a stored reading again is refused by the key, and the
     * stored reading stays as it was; a new reading is stored as usual.
     */
    @Test
    void skippingTheCheckNeverStoresAReadingTwice(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("once_skipped", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('Meter 1', 'meter', '{}', 'M1')");
            st.execute("SELECT tmi.observe('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 5}', 37.5, 127.0)");
            st.execute("SET tmi.readings_merged = on");
            assertState(c, "23505", "INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES ('" + id + "', '2026-11-20 10:00Z', '{\"kwh\": 6}')");
            assertState(c, "23505", "INSERT INTO tmi.geo_trace (target_id, ts, lat, lon) VALUES ('" + id + "', '2026-11-20 10:00Z', 37.6, 127.0)");
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES ('" + id + "', '2026-11-20 10:01Z', '{\"kwh\": 7}')");
            st.execute("RESET tmi.readings_merged");
            assertEquals(List.of("2026-11-20 10:00:00+00 {\"kwh\": 5}", "2026-11-20 10:01:00+00 {\"kwh\": 7}"), Sql.column(c,
                    "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS+00') || ' ' || payload FROM tmi.ts_obs ORDER BY ts"));
            assertEquals("37.5", scalar(c, "SELECT lat FROM tmi.geo_trace"));
        }
    }
}
