// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;

/**
 * {@code bench/run RestBench [seconds] [clients]}: single-row GETs through the REST gateway
 * ({@code GET /bike?ext_key=eq.B<n>} with a speaker's JWT) by {@code clients} concurrent HTTP/1.1
 * keep-alive clients (default 50) for {@code seconds} (default 20, after a 5 s warm-up), against the baseline
 * of the same single-row query over plain JDBC from as many threads, each on its own connection.
 * Prints requests per second and p95 latency of both, and their ratio.
 */
public final class RestBench {
    private RestBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("restbench", false);
            String token = BikeReads.prepare(db);
            int poolSize = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
            GatewaySettings settings = GatewaySettings.of(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                    "db-user", "postgres", "db-password", db.cluster().superuserPassword(), "pool-size", Integer.toString(poolSize)));
            Load.Result rest = BikeReads.overRest("REST gateway", settings, token, seconds, clients);
            Load.Result jdbc = Load.measure("JDBC baseline", seconds, clients, BikeReads.TARGETS, () -> {
                Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT * FROM api_v2.bike WHERE ext_key = ?");
                return key -> {
                    ps.setString(1, "B" + key);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next();
                    }
                };
            });
            System.out.printf("RestBench: %d clients, %d s, single-row GET of %,d targets, gateway pool %d, %d CPUs%n",
                    clients, seconds, BikeReads.TARGETS, poolSize, Runtime.getRuntime().availableProcessors());
            System.out.println("REST gateway:  " + rest);
            System.out.println("JDBC baseline: " + jdbc);
            System.out.printf("ratio gateway/JDBC: %.2f (throughput), %.2f (p95 latency)%n",
                    rest.perSecond() / jdbc.perSecond(), rest.p95() / jdbc.p95());
        }
    }
}
