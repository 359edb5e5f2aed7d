// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.stored.schema.SchemaVersions;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/run FrontDoorBench [seconds] [clients] [targets]}: the SQL front door's single
 * writes and radius search on {@code targets} targets (default 100,000) with a position each,
 * spread over about 55 x 44 km.
 * <ul>
 * <li>Single writes: {@code tmi.observe} of one reading from {@code clients} connections (default
 * 20) against plain single-row {@code INSERT}s of the same readings into {@code tmi.ts_obs} from as
 * many connections (the table's triggers included): requests per second and their ratio.</li>
 * <li>Radius search: {@code tmi.near} around random centres (500 m and 2 km) from one connection,
 * against the same connection reading one target's latest position by its key: p50 and p95.</li>
 * </ul>
 * Each load runs 5 s of warm-up, then {@code seconds} (default 10).
 */
public final class FrontDoorBench {
    private static final double LAT = 37.55;
    private static final double LON = 126.99;
    private static final double SPREAD = 0.5; // degrees of latitude and longitude

    private FrontDoorBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int targets = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
        System.out.printf("FrontDoorBench: %d clients, %d s each, %,d targets with a position, %d CPUs, load average %s%n",
                clients, seconds, targets, Runtime.getRuntime().availableProcessors(), Machine.loadAverage());
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("frontdoorbench", false);
            List<String> ids = load(db, targets);
            // a new instant for each written reading, from now on: within the partitions that exist
            AtomicLong clock = new AtomicLong(Instant.now().toEpochMilli());

            Load.Result observe = Load.measure("tmi.observe, one reading", seconds, clients, targets,
                    writer(db, ids, clock, "SELECT tmi.observe(CAST(? AS uuid), ?, CAST(? AS jsonb))"));
            Load.Result insert = Load.measure("INSERT INTO tmi.ts_obs, one row", seconds, clients, targets,
                    writer(db, ids, clock, "INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES (CAST(? AS uuid), ?, CAST(? AS jsonb))"));
            Load.Result near500 = Load.measure("tmi.near, 500 m", seconds, 1, targets, near(db, 500));
            Load.Result near2k = Load.measure("tmi.near, 2 km", seconds, 1, targets, near(db, 2_000));
            Load.Result byKey = Load.measure("latest position by key", seconds, 1, targets, byKey(db, ids));

            System.out.printf("%nload average at the end %s%n", Machine.loadAverage());
            System.out.printf("%-36s %10s %10s %10s%n", "", "req/s", "p50 ms", "p95 ms");
            for (Object[] r : List.of(new Object[] {"tmi.observe, " + clients + " connections", observe},
                    new Object[] {"INSERT into ts_obs, " + clients + " connections", insert},
                    new Object[] {"tmi.near 500 m, 1 connection", near500}, new Object[] {"tmi.near 2 km, 1 connection", near2k},
                    new Object[] {"latest position by key, 1 connection", byKey})) {
                Load.Result l = (Load.Result) r[1];
                System.out.printf("%-36s %10.0f %10.2f %10.2f%n", r[0], l.perSecond(), l.p50(), l.p95());
            }
            System.out.printf("single writes: tmi.observe / INSERT = %.2f (goal >= 0.50)%n", observe.perSecond() / insert.perSecond());
            System.out.printf("tmi.near p50: %.2f ms at 500 m, %.2f ms at 2 km (goal <= 2 ms); key lookup %.2f ms%n",
                    near500.p50(), near2k.p50(), byKey.p50());
        }
    }

    private static Load.ClientFactory writer(TestDatabase db, List<String> ids, AtomicLong clock, String sql) {
        return () -> {
            PreparedStatement ps = db.connect().prepareStatement(sql);
            return key -> {
                ps.setString(1, ids.get(key - 1));
                ps.setTimestamp(2, new Timestamp(clock.incrementAndGet()));
                ps.setString(3, "{\"kwh\": " + key + ", \"volts\": 230}");
                ps.execute();
                return true;
            };
        };
    }

    private static Load.ClientFactory near(TestDatabase db, double radius) {
        return () -> {
            PreparedStatement ps = db.connect().prepareStatement("SELECT count(*) FROM tmi.near(?, ?, ?)");
            return key -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                ps.setDouble(1, LAT + (r.nextDouble() - 0.5) * SPREAD);
                ps.setDouble(2, LON + (r.nextDouble() - 0.5) * SPREAD);
                ps.setDouble(3, radius);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            };
        };
    }

    private static Load.ClientFactory byKey(TestDatabase db, List<String> ids) {
        return () -> {
            PreparedStatement ps = db.connect().prepareStatement(
                    "SELECT lat, lon FROM tmi.geo_trace WHERE target_id = CAST(? AS uuid) ORDER BY ts DESC LIMIT 1");
            return key -> {
                ps.setString(1, ids.get(key - 1));
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            };
        };
    }

    /** Targets with one observation and one position each; returns their ids in key order. */
    private static List<String> load(TestDatabase db, int targets) throws SQLException {
        long t0 = System.nanoTime();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT setseed(0.5)");
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'Meter ' || i, 'meter', 'M' || i"
                    + " FROM generate_series(1, " + targets + ") i");
            // in two statements rather than one tmi.observe per target: the loading is not what is measured
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload)"
                    + " SELECT target_id, timestamptz '2026-12-01 00:00Z', '{\"kwh\": 0, \"volts\": 230}' FROM tmi.target");
            st.execute("INSERT INTO tmi.geo_trace (target_id, ts, lat, lon) SELECT target_id, timestamptz '2026-12-01 00:00Z', "
                    + LAT + " + (random() - 0.5) * " + SPREAD + ", " + LON + " + (random() - 0.5) * " + SPREAD + " FROM tmi.target");
            c.setAutoCommit(false);
            SchemaVersions.apply(c, Sql.column(c, "SELECT pending_id FROM tmi.schema_pending").stream()
                    .mapToLong(Long::parseLong).toArray());
            c.commit();
            c.setAutoCommit(true);
            st.execute("SELECT tmi.maintain_partitions()");
            st.execute("VACUUM ANALYZE");
            System.out.printf("loaded %,d targets with a position in %.1f s%n",
                    Sql.scalarLong(c, "SELECT count(DISTINCT target_id) FROM tmi.geo_trace"), (System.nanoTime() - t0) / 1e9);
            return Sql.column(c, "SELECT target_id FROM tmi.target ORDER BY substr(ext_key, 2)::int");
        }
    }
}
