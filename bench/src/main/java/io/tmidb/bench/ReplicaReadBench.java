// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.ScratchReplica;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bench/run ReplicaReadBench [seconds] [clients]}: REST read throughput of one gateway over
 * a primary alone against the same gateway over the primary and two streaming replicas
 * ({@code db-read-urls}), all on this machine. The load is RestBench's: single-row
 * {@code GET /bike?ext_key=eq.B<n>} with a speaker's JWT by {@code clients} keep-alive HTTP/1.1
 * clients (default 50) for {@code seconds} (default 20, after a 5 s warm-up). After a first run
 * that is not counted, the two set-ups run in the order alone, replicas, replicas, alone, twice,
 * each with a gateway of its own, and each figure is the mean of its four runs, so that a drift of
 * the machine's other load weighs on both alike.
 * Prints requests per second and p95 latency of each, the ratio, the load average, and how many
 * transactions the primary committed in each run (with replicas: the reads are not among them).
 */
public final class ReplicaReadBench {
    private ReplicaReadBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int poolSize = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        System.out.println("1-minute load average before: " + Machine.loadAverage());
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("replicabench", false);
            String token = BikeReads.prepare(db);
            Map<String, String> alone = Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                    "db-user", "postgres", "db-password", db.cluster().superuserPassword(), "pool-size", Integer.toString(poolSize));
            try (ScratchReplica r1 = ScratchReplica.start(db.cluster(), "bench_replica1");
                 ScratchReplica r2 = ScratchReplica.start(db.cluster(), "bench_replica2")) {
                r1.awaitReplayed();
                r2.awaitReplayed();
                Map<String, String> replicas = new HashMap<>(alone);
                replicas.put("db-read-urls", r1.jdbcUrl(db.name()) + "," + r2.jdbcUrl(db.name()));
                // a run first that counts for nothing, so that neither set-up pays for the JIT; then mirrored
                // pairs, so that a drift of the machine's other load weighs on both set-ups alike
                BikeReads.overRest("warm-up (not counted)", GatewaySettings.of(alone), token, seconds, clients);
                List<Map<String, String>> order = List.of(alone, replicas, replicas, alone, alone, replicas, replicas, alone);
                double[] rate = new double[2];
                double[] p95 = new double[2];
                for (int i = 0; i < order.size(); i++) {
                    int setUp = order.get(i) == alone ? 0 : 1;
                    long before = commits(db);
                    Load.Result r = BikeReads.overRest((setUp == 0 ? "primary alone" : "primary + 2 replicas") + ", run " + (i + 1),
                            GatewaySettings.of(order.get(i)), token, seconds, clients);
                    // the server's statistics reach pg_stat_database within a second of a transaction's end
                    Thread.sleep(1500);
                    System.out.printf("  transactions on the primary in run %d: %,d%n", i + 1, commits(db) - before);
                    rate[setUp] += r.perSecond() / 4;
                    p95[setUp] += r.p95() / 4;
                }
                System.out.printf("ReplicaReadBench: %d clients, %d s, single-row GET of %,d targets, gateway pool %d per server, %d CPUs%n",
                        clients, seconds, BikeReads.TARGETS, poolSize, Runtime.getRuntime().availableProcessors());
                System.out.printf("primary alone:        %,.0f req/s, p95 %.2f ms (mean of runs 1, 4, 5, 8)%n", rate[0], p95[0]);
                System.out.printf("primary + 2 replicas: %,.0f req/s, p95 %.2f ms (mean of runs 2, 3, 6, 7)%n", rate[1], p95[1]);
                System.out.printf("ratio replicas/alone: %.2f (throughput), %.2f (p95 latency)%n", rate[1] / rate[0], p95[1] / p95[0]);
            }
        }
        System.out.println("1-minute load average after: " + Machine.loadAverage());
    }

    /** Transactions committed in the database on the primary so far (each autocommitted read is one). */
    private static long commits(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
