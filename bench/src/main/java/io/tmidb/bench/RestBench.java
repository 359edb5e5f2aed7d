// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;

/**
 * {@code bench/run RestBench [seconds] [clients]}: single-row GETs through the REST gateway
 * ({@code GET /bike?ext_key=eq.B<n>} with a speaker's JWT) by {@code clients} concurrent HTTP/1.1
 * keep-alive clients (default 50) for {@code seconds} (default 20, after a 5 s warm-up), against the baseline
 * of the same single-row query over plain JDBC from as many threads, each on its own connection.
 * Prints requests per second and p95 latency of both, and their ratio.
 */
public final class RestBench {
    private static final int TARGETS = 10_000;

    private RestBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("restbench", false);
            byte[] secret;
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                ApiViews.create(c);
                st.execute("INSERT INTO tmi.target (name, kind, ext_key, meta) SELECT 'Bike ' || i, 'bike', 'B' || i,"
                        + " jsonb_build_object('battery', i % 100, 'model', 'city') FROM generate_series(1, " + TARGETS + ") i");
                st.execute("ANALYZE tmi.target");
                try (ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
                    rs.next();
                    secret = rs.getBytes(1);
                }
            }
            String password = db.cluster().superuserPassword();
            int poolSize = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
            GatewaySettings settings = GatewaySettings.of(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                    "db-user", "postgres", "db-password", password, "pool-size", Integer.toString(poolSize)));
            String token = JWT.create().withClaim("role", "tmi_speaker").withExpiresAt(Instant.now().plusSeconds(3600))
                    .sign(Algorithm.HMAC256(secret));
            Load.Result rest;
            try (Gateway gateway = Gateway.start(settings)) {
                String auth = "Authorization: Bearer " + token;
                rest = Load.measure("REST gateway", seconds, clients, TARGETS, () -> {
                    KeepAliveClient http = new KeepAliveClient("127.0.0.1", gateway.port());
                    return key -> http.get("/bike?ext_key=eq.B" + key, auth) == 200;
                });
            }
            Load.Result jdbc = Load.measure("JDBC baseline", seconds, clients, TARGETS, () -> {
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
                    clients, seconds, TARGETS, poolSize, Runtime.getRuntime().availableProcessors());
            System.out.println("REST gateway:  " + rest);
            System.out.println("JDBC baseline: " + jdbc);
            System.out.printf("ratio gateway/JDBC: %.2f (throughput), %.2f (p95 latency)%n",
                    rest.perSecond() / jdbc.perSecond(), rest.p95() / jdbc.p95());
        }
    }
}
