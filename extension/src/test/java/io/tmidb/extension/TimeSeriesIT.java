// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ts_obs on both storages: native range partitions (always tested) and a TimescaleDB hypertable
 * (tested when the timescaledb extension is installed in the test cluster's PostgreSQL).
 */
@TmidbTest
class TimeSeriesIT {
    /** The same statements run on both storages. */
    private static final String WORKLOAD = """
            SELECT tmi.observe(tmi.add_target('meter ' || m, 'meter', '{}', 'M' || m),
                               timestamptz '2026-11-01 00:00Z' + h * interval '1 hour',
                               jsonb_build_object('kwh', m * 100 + h))
              FROM generate_series(1, 20) m, generate_series(0, 24 * 14 - 1) h""";
    private static final String DAILY = """
            SELECT count(*) || ' ' || sum((payload->>'kwh')::numeric)
              FROM tmi.ts_obs o JOIN tmi.target t USING (target_id)
             WHERE t.ext_key = 'M7' AND o.ts >= '2026-11-05' AND o.ts < '2026-11-06'""";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"native", "timescaledb"})
    void sameSqlOnBothStorages(String storage, TestDatabase db) throws SQLException {
        boolean timescale = storage.equals("timescaledb");
        if (timescale) {
            assumeTrue(db.cluster().installation().hasExtension("timescaledb"),
                    "TimescaleDB is not installed in this PostgreSQL, so the hypertable path is not tested");
        }
        TestDatabase tsdb = db.sibling(storage, timescale);
        try (Connection c = tsdb.connect(); Statement st = c.createStatement()) {
            assertEquals(storage, scalar(c, "SELECT tmi.storage_mode()"));
            if (timescale) {
                assertEquals(List.of("ts Time null", "target_id Space 8"), Sql.column(c,
                        "SELECT column_name || ' ' || dimension_type || ' ' || coalesce(num_partitions::text, 'null')"
                                + " FROM timescaledb_information.dimensions WHERE hypertable_name = 'ts_obs'"
                                + " ORDER BY dimension_number"));
            } else {
                assertEquals("p", scalar(c, "SELECT relkind::text FROM pg_class WHERE oid = 'tmi.ts_obs'::regclass"));
            }
            st.execute(WORKLOAD);
            st.execute("SELECT tmi.maintain_partitions()");
            assertEquals(20 * 24 * 14, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            // meter 7 on day 5: hours 96..119, kwh = 700 + h
            assertEquals("24 " + (24 * 700 + (96 + 119) * 24 / 2), scalar(c, DAILY));
            assertEquals("2026-11-14 23:00:00+00", scalar(c,
                    "SELECT max(ts) FROM tmi.ts_obs WHERE target_id = tmi.target_id('meter', 'M3')"));
            // the same day downsampled to 6-hour points: kwh = 700 + h, averaged per bucket
            assertEquals(List.of("2026-11-05 00:00:00+00 798.5 6", "2026-11-05 06:00:00+00 804.5 6",
                    "2026-11-05 12:00:00+00 810.5 6", "2026-11-05 18:00:00+00 816.5 6"), Sql.column(c,
                    "SELECT ts || ' ' || avg || ' ' || n FROM tmi.series(tmi.target_id('meter', 'M7'), 'kwh', '6 hours',"
                            + " '2026-11-05', '2026-11-06')"));
        }
    }

    @Test
    void insertsFarFromNowAndMaintenanceMovesThemIntoPartitions(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('probe', 'probe', '{}', 'far')");
            for (String ts : List.of("1970-01-01 00:00Z", "2300-06-15 12:00Z", "2026-11-27 00:00Z")) {
                st.execute("SELECT tmi.observe('" + id + "', '" + ts + "', '{\"v\": 1}')");
            }
            assertEquals("attention", scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'storage'"));
            long created = scalarLong(c, "SELECT tmi.maintain_partitions('2 weeks')");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default"));
            assertEquals(Set.of("tmi.ts_obs_p19691229", "tmi.ts_obs_p20261123", "tmi.ts_obs_p23000611"),
                    Sql.set(c, "SELECT tableoid::regclass::text FROM tmi.ts_obs WHERE target_id = '" + id + "'"));
            assertEquals(3, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs WHERE target_id = '" + id + "'"));
            // the weeks around now exist since the node started; the two far-off weeks are new
            assertEquals(2, created);
            assertEquals(0, scalarLong(c, "SELECT tmi.maintain_partitions('2 weeks')"));
            assertEquals("ok", scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'storage'"));
            // partitions exist ahead of time: next week's rows go straight to their own partition
            st.execute("SELECT tmi.observe('" + id + "', now() + interval '7 days', '{\"v\": 2}')");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default"));
            assertFails(c, "22023", "SELECT tmi.maintain_partitions('-1 day')");
        }
    }

    /**
     * Moving parked rows into a new partition must not hide them from a statement that runs at the
     * same time: one planned over the partitions as they were but run after the move committed would
     * find the default partition empty and the new partition not in its plan (seen as ts_obs counted
     * 0 right after a restore, while the worker moved the restored rows).
     */
    @Test
    void statementsDuringMaintenanceSeeEveryRow(TestDatabase db) throws Exception {
        int weeks = 60;
        int perWeek = 5;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('probe', 'probe', '{}', 'parked')");
            st.execute("SELECT tmi.observe('" + id + "', timestamptz '1980-01-07 00:00Z' + w * interval '1 week'"
                    + " + r * interval '1 hour', '{\"v\": 1}') FROM generate_series(0, " + (weeks - 1) + ") w,"
                    + " generate_series(1, " + perWeek + ") r");
            assertEquals(weeks * perWeek, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default"));
            String count = "SELECT count(*) FROM tmi.ts_obs WHERE target_id = '" + id + "'";
            AtomicBoolean maintaining = new AtomicBoolean(true);
            CompletableFuture<List<Long>> seen = CompletableFuture.supplyAsync(() -> {
                List<Long> counts = new ArrayList<>();
                try (Connection reader = db.connect()) {
                    while (maintaining.get()) {
                        counts.add(scalarLong(reader, count));
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
                return counts;
            });
            Thread.sleep(100);  // the reader is running
            assertEquals(weeks, scalarLong(c, "SELECT tmi.maintain_partitions('0')"));
            maintaining.set(false);
            List<Long> counts = seen.get(60, TimeUnit.SECONDS);
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default"));
            assertTrue(counts.size() > 1, "the reader ran during maintenance: " + counts.size() + " statements");
            assertEquals(Set.of((long) weeks * perWeek), Set.copyOf(counts), "what the reader counted");
        }
    }
}
