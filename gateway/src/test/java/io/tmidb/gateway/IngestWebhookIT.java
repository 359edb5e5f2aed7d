// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tmidb.gateway.Json.assertError;
import static io.tmidb.testkit.Sql.column;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The webhook {@code POST /ingest/<source>}: any JSON body stored as sent by {@code tmi.ingest},
 * as the caller's role, on a node that has no API version yet (raw documents come first); under
 * {@code /rest/v1} too. Speakers only; bad bodies and an empty source are refused with nothing
 * stored; the OpenAPI document lists the path for those who may use it.
 */
@TmidbTest
class IngestWebhookIT {
    private static final int MAX_BODY = 1000;
    private static final int MAX_PAYLOAD = 500;
    private static TestDatabase db;
    private static GatewayFixture gw;

    @BeforeAll
    static void start(TestDatabase testDb) throws SQLException {
        db = testDb.sibling("ingest_webhook", false);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_listener('alice')");
            // the database's own limit, below the gateway's max-body: the pool's connections start with it
            st.execute("ALTER DATABASE " + db.name() + " SET tmi.max_payload_bytes = " + MAX_PAYLOAD);
        }
        gw = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, Map.of("max-body", Integer.toString(MAX_BODY)))), db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static HttpResponse<String> post(String token, String path, HttpRequest.BodyPublisher body) {
        return gw.sendRaw("POST", path, body, "Authorization", "Bearer " + token, "Content-Type", "application/json");
    }

    private static HttpResponse<String> post(String token, String path, String body) {
        return post(token, path, HttpRequest.BodyPublishers.ofString(body));
    }

    /** The stored document of the raw_id a 201 answered, as source, a space and the payload's text. */
    private static String stored(HttpResponse<String> r) throws SQLException {
        assertEquals(201, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers()::toString);
        JsonNode answer = Json.of(r);
        assertEquals(1, answer.size(), r.body());
        try (Connection c = db.connect()) {
            return scalar(c, "SELECT source || ' ' || payload::text || ' ' || status FROM tmi.raw_bucket WHERE raw_id = "
                    + answer.path("raw_id").asLong());
        }
    }

    private static long rawCount() throws SQLException {
        try (Connection c = db.connect()) {
            return scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket");
        }
    }

    @Test
    void anyJsonBodyIsStoredAsSent() throws SQLException {
        assertEquals("station-7 {\"t\": 21.5, \"id\": \"S7\"} pending", stored(post(gw.speaker(), "/ingest/station-7", "{\"id\": \"S7\", \"t\": 21.5}")));
        assertEquals("station-7 [1, {\"a\": null}] pending", stored(post(gw.speaker(), "/ingest/station-7", "[1, {\"a\": null}]")));
        assertEquals("meter 12345678901234567890.000000000000000001 pending",
                stored(post(gw.speaker(), "/ingest/meter", "12345678901234567890.000000000000000001")), "every digit of a number");
        assertEquals("meter \"on\" pending", stored(post(gw.speaker(), "/ingest/meter", "\"on\"")));
        assertEquals("meter null pending", stored(post(gw.speaker(), "/ingest/meter", "null")));
        assertEquals("acme hooks {\"note\": \"café ✓\"} pending", stored(post(gw.speaker(), "/ingest/acme%20hooks", "{\"note\": \"café ✓\"}")));
        // as Supabase clients address the API: /rest/v1, the key in apikey
        HttpResponse<String> supabase = gw.sendRaw("POST", "/rest/v1/ingest/lorawan", HttpRequest.BodyPublishers.ofString("{\"rssi\": -80}"),
                "apikey", gw.speaker(), "Content-Type", "application/json");
        assertEquals("lorawan {\"rssi\": -80} pending", stored(supabase));
        // without a Content-Type, as some devices send
        assertEquals("bare {} pending", stored(gw.sendRaw("POST", "/ingest/bare", HttpRequest.BodyPublishers.ofString("{}"),
                "Authorization", "Bearer " + gw.speaker())));
    }

    @Test
    void aChunkedBodyIsReadWhole() throws SQLException {
        byte[] bytes = "{\"chunked\": true}".getBytes(StandardCharsets.UTF_8);
        assertEquals("chunks {\"chunked\": true} pending", stored(post(gw.speaker(), "/ingest/chunks",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))));
    }

    @Test
    void onlySpeakersMayIngest() throws SQLException {
        long before = rawCount();
        HttpResponse<String> anonymous = gw.sendRaw("POST", "/ingest/x", HttpRequest.BodyPublishers.ofString("{}"), "Content-Type", "application/json");
        assertError(anonymous, 401, "42501");
        assertError(post(gw.token("tmi_listener", "alice", Duration.ofMinutes(5)), "/ingest/x", "{}"), 403, "42501");
        assertError(post(gw.token("tmi_anon", null, Duration.ofMinutes(5)), "/ingest/x", "{}"), 403, "42501");
        assertError(post("not-a-token", "/ingest/x", "{}"), 401, "PGRST301");
        assertEquals(before, rawCount());
        assertTrue(stored(post(gw.token("tmi_admin", null, Duration.ofMinutes(5)), "/ingest/admin", "{}")).startsWith("admin "));
    }

    @Test
    void badInputIsRefusedAndNothingStored() throws SQLException {
        long before = rawCount();
        String speaker = gw.speaker();
        assertError(post(speaker, "/ingest/x", "{\"id\": "), 400, "PGRST102");
        assertError(post(speaker, "/ingest/x", "{} {}"), 400, "PGRST102");
        assertError(post(speaker, "/ingest/x", ""), 400, "PGRST102");
        assertError(post(speaker, "/ingest/x", HttpRequest.BodyPublishers.ofByteArray(new byte[] {'"', 'c', 'a', 'f', (byte) 0xE9, '"'})),
                400, "PGRST102");
        assertError(post(speaker, "/ingest/x", "\"" + "x".repeat(MAX_BODY) + "\""), 413, "PGRST000");
        byte[] big = ("\"" + "y".repeat(MAX_BODY) + "\"").getBytes(StandardCharsets.UTF_8);
        assertError(post(speaker, "/ingest/x", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))), 413, "PGRST000");
        JsonNode overLimit = assertError(post(speaker, "/ingest/x", "\"" + "z".repeat(MAX_PAYLOAD) + "\""), 413, "54000");
        assertEquals("payload too large", overLimit.path("message").asText());
        assertEquals("The document has " + (MAX_PAYLOAD + 2) + " bytes; the limit is " + MAX_PAYLOAD + ".", overLimit.path("details").asText());
        assertError(gw.sendRaw("POST", "/ingest/x", HttpRequest.BodyPublishers.ofString("a=1"), "Authorization", "Bearer " + speaker,
                "Content-Type", "application/x-www-form-urlencoded"), 415, "PGRST107");
        // PostgreSQL's jsonb has no \u0000 in text: its own error
        assertError(post(speaker, "/ingest/x", "\"\\u0000\""), 400, "22P05");
        // an empty source: tmi.ingest's own error
        JsonNode empty = assertError(post(speaker, "/ingest/", "{}"), 400, "22023");
        assertEquals("source must not be empty", empty.path("message").asText());
        assertError(post(speaker, "/rest/v1/ingest/", "{}"), 400, "22023");
        // without the slash it is a resource named ingest, of which no version has one yet
        assertError(post(speaker, "/ingest", "{}"), 406, "PGRST106");
        assertEquals(before, rawCount());
    }

    @Test
    void otherMethodsAreNoWebhook() {
        assertError(gw.get("/ingest/x", "Authorization", "Bearer " + gw.speaker()), 404, "PGRST125");
    }

    @Test
    void theOpenApiDocumentListsTheWebhookForThoseWhoMayUseIt() {
        JsonNode mine = Json.of(gw.get("/", "Authorization", "Bearer " + gw.speaker()));
        JsonNode post = mine.path("paths").path("/ingest/{source}").path("post");
        assertTrue(post.has("requestBody"), mine.toString());
        assertEquals(List.of("source"), post.path("parameters").findValuesAsText("name").stream().filter("source"::equals).toList());
        assertTrue(post.path("responses").has("201"), post.toString());
        JsonNode hers = Json.of(gw.get("/", "Authorization", "Bearer " + gw.token("tmi_listener", "alice", Duration.ofMinutes(5))));
        assertFalse(hers.path("paths").has("/ingest/{source}"), hers.path("paths").toString());
    }

    @Test
    void theSourceNamesAConnectorLikeTmiIngest() throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_connector('hooked', 'http://127.0.0.1:9/none', '1 day')");
            st.execute("UPDATE tmi.ingest_connector SET enabled = false WHERE name = 'hooked'");
        }
        HttpResponse<String> r = post(gw.speaker(), "/ingest/hooked", "{}");
        assertTrue(stored(r).startsWith("hooked "));
        try (Connection c = db.connect()) {
            assertEquals(List.of("hooked"), column(c, "SELECT c.name FROM tmi.raw_bucket r JOIN tmi.ingest_connector c USING (connector_id)"
                    + " WHERE r.raw_id = " + Json.of(r).path("raw_id").asLong()));
        }
    }
}
