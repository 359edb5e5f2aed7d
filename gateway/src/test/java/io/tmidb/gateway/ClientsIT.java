// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Supabase clients and browser pages need besides the URL dialect: the API under
 * {@code /rest/v1}, the {@code apikey} header as the token, and CORS for the origins in
 * {@code cors-origins} (a real preflight: OPTIONS with Origin and Access-Control-Request-*).
 */
@TmidbTest
class ClientsIT {
    static final String APP = "http://app.example.test:8080";
    private static WriteFixture fx;
    private static GatewayFixture gw;
    private static TestDatabase database;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        database = db;
        fx = WriteFixture.start(db, Map.of("cors-origins", APP + ", https://other.example.test"));
        gw = fx.gateway();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\"}', 'B1')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void restV1ServesTheApiAndTheDocument() {
        HttpResponse<String> rows = gw.get("/rest/v1/bike?select=name,battery", "apikey", gw.speaker());
        assertEquals(200, rows.statusCode(), rows.body());
        assertEquals(Json.parse("[{\"name\":\"Bike 1\",\"battery\":80}]"), Json.of(rows));
        assertEquals("0-0/*", rows.headers().firstValue("Content-Range").orElseThrow());
        HttpResponse<String> doc = gw.get("/rest/v1/", "apikey", gw.speaker());
        assertEquals(200, doc.statusCode(), doc.body());
        assertTrue(Json.of(doc).path("paths").has("/bike"), doc.body());
        HttpResponse<String> rpc = gw.send("POST", "/rest/v1/rpc/low_battery", "{\"threshold\": 90}",
                "apikey", gw.speaker(), "Content-Type", "application/json");
        assertEquals(200, rpc.statusCode(), rpc.body());
        assertError(gw.get("/rest/v2/bike", "apikey", gw.speaker()), 404, "PGRST125");
    }

    @Test
    void apikeyIsTheTokenWhenThereIsNoAuthorization() {
        assertEquals(1, Json.of(gw.get("/bike", "apikey", gw.speaker())).size());
        // tmi_anon sees no bikes: without a token the request is anonymous
        assertError(gw.get("/bike"), 401, "42501");
        HttpResponse<String> bad = gw.get("/bike", "apikey", "not-a-jwt");
        assertError(bad, 401, "PGRST301");
        assertTrue(bad.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), bad.headers()::toString);
    }

    @Test
    void authorizationWinsOverApikey() {
        HttpResponse<String> r = gw.get("/bike", "Authorization", "Bearer " + gw.speaker(), "apikey", "not-a-jwt");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, Json.of(r).size());
        assertError(gw.get("/bike", "Authorization", "Bearer not-a-jwt", "apikey", gw.speaker()), 401, "PGRST301");
        String listener = gw.token("tmi_listener", "nobody", java.time.Duration.ofMinutes(5));
        HttpResponse<String> asListener = gw.get("/bike", "Authorization", "Bearer " + listener, "apikey", gw.speaker());
        assertEquals(200, asListener.statusCode(), asListener.body());
        assertEquals(0, Json.of(asListener).size(), "the listener's token decides, and it sees nothing");
    }

    @Test
    void preflightFromAnAllowedOrigin() {
        List<String> before = fx.column("SELECT count(*) FROM tmi.target");
        HttpResponse<String> r = gw.send("OPTIONS", "/rest/v1/bike", null, "Origin", APP,
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,apikey,content-type,prefer");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(APP, r.headers().firstValue("Access-Control-Allow-Origin").orElse(null), r.headers()::toString);
        assertTrue(r.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"), r.headers()::toString);
        String allowed = r.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase();
        for (String h : List.of("authorization", "apikey", "content-type", "prefer")) {
            assertTrue(allowed.contains(h), () -> h + " not allowed: " + r.headers());
        }
        assertEquals("86400", r.headers().firstValue("Access-Control-Max-Age").orElse(null), r.headers()::toString);
        assertEquals(before, fx.column("SELECT count(*) FROM tmi.target"), "a preflight writes nothing");
    }

    @Test
    void responsesToAnAllowedOriginExposeTheCount() {
        HttpResponse<String> r = gw.get("/rest/v1/bike", "Origin", APP, "apikey", gw.speaker(), "Prefer", "count=exact");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(APP, r.headers().firstValue("Access-Control-Allow-Origin").orElse(null), r.headers()::toString);
        String exposed = r.headers().firstValue("Access-Control-Expose-Headers").orElse("");
        assertTrue(exposed.contains("Content-Range"), r.headers()::toString);
        assertEquals("0-0/1", r.headers().firstValue("Content-Range").orElseThrow());
        HttpResponse<String> error = gw.get("/rest/v1/bike?nope=eq.1", "Origin", APP, "apikey", gw.speaker());
        assertError(error, 400, "42703");
        assertEquals(APP, error.headers().firstValue("Access-Control-Allow-Origin").orElse(null), "errors are readable too");
    }

    @Test
    void otherOriginsGetNoCorsHeaders() {
        HttpResponse<String> r = gw.send("OPTIONS", "/rest/v1/bike", null, "Origin", "http://evil.example.test",
                "Access-Control-Request-Method", "DELETE");
        assertFalse(r.headers().firstValue("Access-Control-Allow-Origin").isPresent(), r.headers()::toString);
        HttpResponse<String> get = gw.get("/bike", "Origin", "http://evil.example.test", "apikey", gw.speaker());
        assertFalse(get.headers().firstValue("Access-Control-Allow-Origin").isPresent(), get.headers()::toString);
    }

    @Test
    void noOriginIsAllowedByDefault() throws SQLException {
        try (GatewayFixture plain = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(database)), database)) {
            HttpResponse<String> r = plain.send("OPTIONS", "/bike", null, "Origin", APP, "Access-Control-Request-Method", "GET");
            assertFalse(r.headers().firstValue("Access-Control-Allow-Origin").isPresent(), r.headers()::toString);
            HttpResponse<String> get = plain.get("/bike", "Origin", APP, "apikey", plain.speaker());
            assertEquals(200, get.statusCode(), get.body());
            assertFalse(get.headers().firstValue("Access-Control-Allow-Origin").isPresent(), get.headers()::toString);
        }
    }

    @Test
    void aMalformedOriginSettingStopsTheGateway() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatewaySettings.of(Map.of("cors-origins", "app.example.test/path")));
        assertTrue(e.getMessage().contains("cors-origins"), e.getMessage());
    }
}
