// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.stored.schema.SchemaVersions;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/run ObsRestBench [seconds] [clients] [readings] [pool]}: observations written and read over
 * REST against the same SQL over JDBC, both from {@code clients} connections (default 20), on
 * 1,000 targets holding {@code readings} observations each (default 5,000), through the API views
 * tmiDB generates. Workloads: one observation per POST, 1,000 per POST, the latest reading of a
 * target, its last 100 (as a speaker and as a listener restricted to one field) and a radius
 * search over /rpc/near. Prints each throughput and the REST/JDBC ratio. {@code pool}: the gateway's
 * database connections; by default as many as the JDBC side has, so that both hold the same number of
 * database sessions (with fewer, cheap reads wait for a connection: see docs/BENCHMARKS.md).
 */
public final class ObsRestBench {
    private static final int TARGETS = 1_000;
    private static final int BULK = 1_000;

    /** One workload: what is measured, the REST call and the JDBC call of the same SQL. */
    private record Workload(String name, Load.ClientFactory rest, Load.ClientFactory jdbc) {
    }

    private ObsRestBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int readings = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
        int poolSize = args.length > 3 ? Integer.parseInt(args[3]) : clients;
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("obsrestbench", false);
            List<String> ids = load(db, readings);
            byte[] secret;
            try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
                rs.next();
                secret = rs.getBytes(1);
            }
            String speaker = "Authorization: Bearer " + token(secret, "tmi_speaker", null);
            String listener = "Authorization: Bearer " + token(secret, "tmi_listener", "bench");
            AtomicLong clock = new AtomicLong(); // a new instant for each written reading
            GatewaySettings settings = GatewaySettings.of(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                    "db-user", "postgres", "db-password", db.cluster().superuserPassword(), "pool-size", Integer.toString(poolSize)));
            System.out.printf("ObsRestBench: %d clients, %d s each, %,d targets x %,d readings, gateway pool %d, %d CPUs%n",
                    clients, seconds, TARGETS, readings, poolSize, Runtime.getRuntime().availableProcessors());
            try (Gateway gateway = Gateway.start(settings)) {
                List<Workload> workloads = workloads(gateway.port(), db, ids, speaker, listener, clock);
                List<String> lines = new ArrayList<>();
                for (Workload w : workloads) {
                    Load.Result rest = Load.measure(w.name() + ", REST", seconds, clients, TARGETS, w.rest());
                    Load.Result jdbc = Load.measure(w.name() + ", JDBC", seconds, clients, TARGETS, w.jdbc());
                    lines.add(String.format("%-40s %10.0f %10.0f %8.2f", w.name(), rest.perSecond(), jdbc.perSecond(),
                            rest.perSecond() / jdbc.perSecond()));
                }
                System.out.printf("%-40s %10s %10s %8s%n", "workload (requests/s)", "REST", "JDBC", "ratio");
                lines.forEach(System.out::println);
            }
        }
    }

    private static List<Workload> workloads(int port, TestDatabase db, List<String> ids, String speaker, String listener,
                                            AtomicLong clock) {
        return List.of(
                new Workload("one observation per POST",
                        () -> {
                            KeepAliveClient http = new KeepAliveClient("127.0.0.1", port);
                            return key -> http.post("/meter_obs", speaker, row(ids.get(key - 1), clock)) == 201;
                        },
                        () -> {
                            PreparedStatement ps = connect(db, "tmi_speaker", null).prepareStatement(
                                    "INSERT INTO api_v1.meter_obs (target_id, ts, kwh) VALUES (CAST(? AS uuid), now() + CAST(? AS interval), 1)");
                            return key -> {
                                ps.setString(1, ids.get(key - 1));
                                ps.setString(2, clock.incrementAndGet() + " microseconds");
                                return ps.executeUpdate() == 1;
                            };
                        }),
                new Workload("1,000 observations per POST",
                        () -> {
                            KeepAliveClient http = new KeepAliveClient("127.0.0.1", port);
                            return key -> http.post("/meter_obs", speaker, rows(ids, clock)) == 201;
                        },
                        () -> {
                            PreparedStatement ps = connect(db, "tmi_speaker", null).prepareStatement("INSERT INTO api_v1.meter_obs"
                                    + " (target_id, ts, kwh) SELECT x.target_id, x.ts, x.kwh FROM jsonb_to_recordset(CAST(? AS jsonb))"
                                    + " AS x (target_id uuid, ts timestamptz, kwh double precision)");
                            return key -> {
                                ps.setString(1, rows(ids, clock));
                                return ps.executeUpdate() == BULK;
                            };
                        }),
                read("latest reading of a target", port, db, ids, speaker, "tmi_speaker", null, 1),
                read("last 100 readings of a target", port, db, ids, speaker, "tmi_speaker", null, 100),
                read("last 100 readings, as a listener", port, db, ids, listener, "tmi_listener", "bench", 100),
                new Workload("radius search, /rpc/near",
                        () -> {
                            KeepAliveClient http = new KeepAliveClient("127.0.0.1", port);
                            return key -> http.get("/rpc/near?lat=" + lat(key) + "&lon=126.98&radius_m=300", speaker) == 200;
                        },
                        () -> {
                            PreparedStatement ps = connect(db, "tmi_speaker", null).prepareStatement(
                                    "SELECT * FROM api_v1.near(?, 126.98, 300)");
                            return key -> {
                                ps.setDouble(1, lat(key));
                                try (ResultSet rs = ps.executeQuery()) {
                                    while (rs.next()) {
                                        rs.getString(1);
                                    }
                                    return true;
                                }
                            };
                        }));
    }

    /** The last {@code limit} readings of a random target, newest first, as GET and as SQL. */
    private static Workload read(String name, int port, TestDatabase db, List<String> ids, String auth, String role,
                                 String listenerName, int limit) {
        return new Workload(name,
                () -> {
                    KeepAliveClient http = new KeepAliveClient("127.0.0.1", port);
                    return key -> http.get("/meter_obs?target_id=eq." + ids.get(key - 1) + "&order=ts.desc&limit=" + limit, auth) == 200;
                },
                () -> {
                    PreparedStatement ps = connect(db, role, listenerName).prepareStatement(
                            "SELECT * FROM api_v1.meter_obs WHERE target_id = CAST(? AS uuid) ORDER BY ts DESC LIMIT " + limit);
                    return key -> {
                        ps.setString(1, ids.get(key - 1));
                        int n = 0;
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                n++;
                            }
                        }
                        return n == limit;
                    };
                });
    }

    /** 1,000 targets with a position each and {@code readings} observations each; returns their ids in key order. */
    private static List<String> load(TestDatabase db, int readings) throws SQLException {
        long t0 = System.nanoTime();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'Meter ' || i, 'meter', 'M' || i"
                    + " FROM generate_series(1, " + TARGETS + ") i");
            // one reading and position each the ordinary way: the schema version and the positions
            st.execute("SELECT tmi.observe(target_id, now() - interval '1 year', '{\"kwh\": 0, \"volts\": 230}',"
                    + " 37.5 + substr(ext_key, 2)::int / 10000.0, 126.98) FROM tmi.target");
            c.setAutoCommit(false);
            SchemaVersions.apply(c, Sql.column(c, "SELECT pending_id FROM tmi.schema_pending").stream()
                    .mapToLong(Long::parseLong).toArray());
            c.commit();
            // the history in bulk, without events: it is the starting point, not what is measured
            st.execute("SET session_replication_role = replica");
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) SELECT t.target_id,"
                    + " now() - make_interval(mins => i), jsonb_build_object('kwh', i % 1000, 'volts', 220 + i % 20)"
                    + " FROM tmi.target t, generate_series(1, " + readings + ") i");
            c.commit();
            st.execute("RESET session_replication_role");
            c.setAutoCommit(true);
            st.execute("SELECT tmi.maintain_partitions()");
            st.execute("VACUUM ANALYZE");
            st.execute("SELECT tmi.add_listener('bench'), tmi.subscribe('bench', 'meter', ARRAY['kwh'])");
            System.out.printf("loaded %,d readings in %.1f s%n", Sql.scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"),
                    (System.nanoTime() - t0) / 1e9);
            return Sql.column(c, "SELECT target_id FROM tmi.target ORDER BY substr(ext_key, 2)::int");
        }
    }

    private static Connection connect(TestDatabase db, String role, String listener) throws SQLException {
        Connection c = db.connect();
        try (Statement st = c.createStatement()) {
            st.execute("SET ROLE " + role);
            if (listener != null) {
                st.execute("SELECT set_config('request.jwt.claims', '{\"listener\": \"" + listener + "\"}', false)");
            }
        }
        return c;
    }

    private static String token(byte[] secret, String role, String listener) {
        var b = JWT.create().withClaim("role", role).withExpiresAt(Instant.now().plusSeconds(3600));
        if (listener != null) {
            b.withClaim("listener", listener);
        }
        return b.sign(Algorithm.HMAC256(secret));
    }

    private static double lat(int key) {
        return 37.5 + key / 10000.0;
    }

    /** One new reading of a target, at an instant no other reading has. */
    private static String row(String target, AtomicLong clock) {
        return "{\"target_id\": \"" + target + "\", \"ts\": \"" + Instant.now().plusNanos(clock.incrementAndGet() * 1000)
                + "\", \"kwh\": 1}";
    }

    private static String rows(List<String> ids, AtomicLong clock) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < BULK; i++) {
            b.append(i == 0 ? "" : ",").append(row(ids.get(ThreadLocalRandom.current().nextInt(ids.size())), clock));
        }
        return b.append(']').toString();
    }
}
