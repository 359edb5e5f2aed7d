// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Tokens issued by tmi.issue_token are revocable and bound to the listener itself: revoking them
 * or dropping the listener refuses them on REST and closes their WebSockets, a listener created
 * again with the same name does not inherit them, and speakers get tokens the same way.
 */
@TmidbTest
class TokensIT {
    /** How long a revocation may take to reach the gateway (a NOTIFY, delivered at commit). */
    private static final Duration PROMPTLY = Duration.ofSeconds(5);
    private static GatewayFixture gw;
    private static TestDatabase db;

    @BeforeAll
    static void start(TestDatabase database) throws SQLException {
        db = database;
        gw = GatewayFixture.start(db);
        sql("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\"}', 'B1')");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private static String scalar(String query) throws SQLException {
        try (Connection c = db.connect()) {
            return Sql.scalar(c, query);
        }
    }

    private static HttpResponse<String> get(String token, String path) {
        return gw.get(path, "Authorization", "Bearer " + token);
    }

    /** The status of GET {@code path} with {@code token} once it is no longer 200, within {@link #PROMPTLY}. */
    private static HttpResponse<String> refusedSoon(String token, String path) throws InterruptedException {
        Instant deadline = Instant.now().plus(PROMPTLY);
        HttpResponse<String> r = get(token, path);
        while (r.statusCode() == 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
            r = get(token, path);
        }
        return r;
    }

    @Test
    void revokingRefusesTheTokenOnRestAndClosesItsWebSockets() throws Exception {
        sql("SELECT tmi.add_listener('carol'), tmi.subscribe('carol', 'bike')");
        String token = scalar("SELECT tmi.issue_token('carol', '5 minutes')");
        String other = scalar("SELECT tmi.issue_token('tmi_speaker', 'device-9', '5 minutes')");
        assertEquals(200, get(token, "/api/carol").statusCode());
        try (WsClient client = WsClient.connect(gw, "/tmi/ws?token=" + token)) {
            client.expect("ready", 10);
            assertEquals("1", scalar("SELECT tmi.revoke_tokens('carol')"));
            assertEquals(4001, client.closeCode(10), "an open connection ends when its token is revoked");
            assertError(refusedSoon(token, "/api/carol"), 401, "PGRST303");
        }
        assertEquals(200, get(other, "/bike").statusCode(), "other tokens are untouched");
        try (WsClient client = WsClient.connect(gw, "/tmi/ws?token=" + token)) {
            assertEquals(4001, client.closeCode(10), "a revoked token cannot open a connection either");
        }
    }

    @Test
    void aListenerCreatedAgainWithTheSameNameDoesNotInheritOldTokens() throws Exception {
        sql("SELECT tmi.add_listener('dave'), tmi.subscribe('dave', 'bike')");
        String old = scalar("SELECT tmi.issue_token('dave', '5 minutes')");
        String unused = scalar("SELECT tmi.issue_token('dave', '5 minutes')");
        assertEquals("city", Json.of(get(old, "/api/dave")).get(0).path("meta").path("model").asText());
        try (WsClient client = WsClient.connect(gw, "/tmi/ws?token=" + old)) {
            client.expect("ready", 10);
            sql("SELECT tmi.drop_listener('dave')");
            sql("SELECT tmi.add_listener('dave'), tmi.subscribe('dave', 'bike', ARRAY['battery'])");
            assertEquals(4001, client.closeCode(10));
        }
        assertError(refusedSoon(old, "/api/dave"), 401, "PGRST303");
        assertError(get(unused, "/api/dave"), 401, "PGRST303");
        assertError(get(old, "/bike"), 401, "PGRST303");
        String fresh = scalar("SELECT tmi.issue_token('dave', '5 minutes')");
        assertEquals("{\"battery\":80}", Json.of(get(fresh, "/api/dave")).get(0).path("meta").toString());
    }

    @Test
    void aSpeakerTokenWritesOverRestUntilRevoked() throws Exception {
        String device = scalar("SELECT tmi.issue_token('tmi_speaker', 'device-7', '1 day')");
        HttpResponse<String> r = gw.send("POST", "/bike", "{\"name\":\"Bike 7\",\"ext_key\":\"B7\"}", "Authorization",
                "Bearer " + device, "Content-Type", "application/json");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("1", scalar("SELECT tmi.revoke_tokens('tmi_speaker', 'device-7')"));
        assertError(refusedSoon(device, "/bike"), 401, "PGRST303");
        assertError(gw.send("POST", "/bike", "{\"name\":\"Bike 8\",\"ext_key\":\"B8\"}", "Authorization", "Bearer " + device,
                "Content-Type", "application/json"), 401, "PGRST303");
    }

    @Test
    void unknownExpiredAndForeignTokensAreRefusedAsBefore() {
        Algorithm key = Algorithm.HMAC256(gw.secret);
        String unknownId = JWT.create().withClaim("role", "tmi_speaker").withJWTId(UUID.randomUUID().toString())
                .withExpiresAt(Instant.now().plusSeconds(60)).sign(key);
        assertError(get(unknownId, "/bike"), 401, "PGRST303");
        String notAnId = JWT.create().withClaim("role", "tmi_speaker").withJWTId("device-7").sign(key);
        assertError(get(notAnId, "/bike"), 401, "PGRST303");
        assertError(get(gw.token("tmi_speaker", null, Duration.ofMinutes(-1)), "/bike"), 401, "PGRST303");
        String foreign = JWT.create().withClaim("role", "tmi_speaker").sign(Algorithm.HMAC256("another key of at least thirty-two characters"));
        assertError(get(foreign, "/bike"), 401, "PGRST301");
        // a token signed with the key and no jti (a device signing its own, or tmiDB 0.1) holds until it expires
        assertEquals(200, get(gw.speaker(), "/bike").statusCode());
    }
}
