// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;

/**
 * The read load of the gateway's benchmarks (RestBench, ReplicaReadBench): 10,000 bikes, read one
 * at a time by key ({@code GET /bike?ext_key=eq.B<n>}) with a speaker's JWT.
 */
final class BikeReads {
    static final int TARGETS = 10_000;

    private BikeReads() {
    }

    /** Fills {@code db} with the bikes and their API; answers a speaker's token for an hour. */
    static String prepare(TestDatabase db) throws Exception {
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
        return JWT.create().withClaim("role", "tmi_speaker").withExpiresAt(Instant.now().plusSeconds(3600))
                .sign(Algorithm.HMAC256(secret));
    }

    /** The reads by {@code clients} keep-alive clients through a gateway of {@code settings}, started for them. */
    static Load.Result overRest(String what, GatewaySettings settings, String token, int seconds, int clients) throws Exception {
        try (Gateway gateway = Gateway.start(settings)) {
            String auth = "Authorization: Bearer " + token;
            return Load.measure(what, seconds, clients, TARGETS, () -> {
                KeepAliveClient http = new KeepAliveClient("127.0.0.1", gateway.port());
                return key -> http.get("/bike?ext_key=eq.B" + key, auth) == 200;
            });
        }
    }
}
