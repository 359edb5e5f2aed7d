// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.cluster.Node;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Authentication as PostgREST does it, and what each listener sees through the gateway (RLS decides). */
@TmidbTest
class AuthIT {
    private static GatewayFixture gw;
    private static String aliceToken;
    private static String bobToken;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        gw = GatewayFixture.start(db);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            String b1 = Sql.scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\"}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\"}', 'B2')");
            st.execute("SELECT tmi.observe('" + b1 + "', '2026-11-27 10:00Z', '{\"battery\": 79, \"speed_kmh\": 12}')");
            st.execute("SELECT tmi.observe('" + b1 + "', '2026-11-27 11:00Z', '{\"battery\": 78, \"speed_kmh\": 0}')");
            st.execute("SELECT tmi.add_listener('alice'), tmi.add_listener('bob')");
            st.execute("SELECT tmi.subscribe('alice', 'bike', ARRAY['battery'])");
            st.execute("SELECT tmi.subscribe('bob', '" + b1 + "'::uuid)");
            aliceToken = Sql.scalar(c, "SELECT tmi.issue_token('alice', '5 minutes')");
            bobToken = Sql.scalar(c, "SELECT tmi.issue_token('bob', '5 minutes')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static HttpResponse<String> as(String token, String path) {
        return gw.get(path, "Authorization", "Bearer " + token);
    }

    private static List<String> names(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        List<String> out = new ArrayList<>();
        Json.of(r).forEach(row -> out.add(row.path("name").asText()));
        return out;
    }

    @Test
    void listenersSeeTheirTargetsAndFieldsOnly() {
        HttpResponse<String> r = as(aliceToken, "/bike?select=name,battery,model&order=name");
        JsonNode rows = Json.of(r);
        assertEquals(2, rows.size(), r.body());
        assertEquals(80, rows.get(0).path("battery").asInt());
        assertTrue(rows.get(0).path("model").isNull(), r.body());
        assertEquals(List.of("Bike 1"), names(as(bobToken, "/bike?order=name")));
        assertEquals("city", Json.of(as(bobToken, "/bike")).get(0).path("model").asText());
        // filtering on a hidden field finds nothing rather than leaking it
        assertEquals(List.of(), names(as(aliceToken, "/bike?model=eq.city")));
        JsonNode obs = Json.of(as(aliceToken, "/bike_obs?order=ts&select=battery,speed_kmh", "Accept-Profile"));
        assertEquals(2, obs.size(), obs::toString);
        assertTrue(obs.get(0).path("speed_kmh").isNull());
    }

    private static HttpResponse<String> as(String token, String path, String profileHeader) {
        return gw.get(path, "Authorization", "Bearer " + token, profileHeader, "api_v1");
    }

    @Test
    void listenersCannotWrite() {
        HttpResponse<String> r = gw.send("POST", "/bike", "{\"name\":\"x\"}", "Authorization", "Bearer " + aliceToken,
                "Content-Type", "application/json");
        assertError(r, 403, "42501");
        assertError(gw.send("DELETE", "/bike", null, "Authorization", "Bearer " + aliceToken), 403, "42501");
    }

    @Test
    void anonymousSeesNothing() {
        HttpResponse<String> r = gw.get("/bike");
        assertError(r, 401, "42501");
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertError(gw.get("/api/alice"), 401, "42501");
    }

    @Test
    void anonymousSeesWhatItsConfiguredListenerSees(TestDatabase db) throws SQLException {
        try (Gateway open = Gateway.start(GatewayFixture.settings(db, java.util.Map.of("anon-role", "tmi_listener", "anon-listener", "bob")))) {
            GatewayFixture anon = GatewayFixture.attach(open, db);
            assertEquals(List.of("Bike 1"), names(anon.get("/bike")));
            assertError(anon.send("DELETE", "/bike", null), 401, "42501");
        }
    }

    @Test
    void theGatewayLogsInAsARoleThatCanOnlyBecomeTmiDbRoles(TestDatabase db) throws SQLException {
        long bikes;
        try (Connection c = db.connect()) {
            assertEquals(List.of(Node.AUTHENTICATOR), Sql.column(c, "SELECT DISTINCT usename::text FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND application_name = '" + Gateway.APP_NAME + "'"));
            bikes = Sql.scalarLong(c, "SELECT count(*) FROM tmi.target WHERE kind = 'bike'");
        }
        java.util.Properties login = new java.util.Properties();
        login.setProperty("user", Node.AUTHENTICATOR);
        login.setProperty("password", GatewayFixture.password(db));
        try (Connection c = java.sql.DriverManager.getConnection(db.cluster().jdbcUrl(db.name()), login);
             Statement st = c.createStatement()) {
            Sql.assertState(c, "42501", "SELECT count(*) FROM tmi.target"); // nothing of its own
            Sql.assertState(c, "42501", "SET ROLE postgres");
            st.execute("SET ROLE tmi_speaker");
            assertEquals(bikes, Sql.scalarLong(c, "SELECT count(*) FROM tmi.target WHERE kind = 'bike'"), "a speaker's view");
        }
    }

    @Test
    void perListenerEndpoints() {
        HttpResponse<String> r = as(aliceToken, "/api/alice");
        JsonNode targets = Json.of(r);
        assertEquals(2, targets.size(), r.body());
        assertEquals("{\"battery\":80}", targets.get(0).path("meta").toString());
        assertEquals("bike", targets.get(0).path("kind").asText());
        JsonNode history = Json.of(as(aliceToken, "/api/alice/bike/obs?since=2026-11-27T10:30:00Z"));
        assertEquals(1, history.size(), history::toString);
        assertEquals("{\"battery\":78}", history.get(0).path("payload").toString());
        assertEquals(2, Json.of(as(bobToken, "/api/bob/bike/obs")).size());
        assertEquals(1, Json.of(as(bobToken, "/api/bob/bike/obs?limit=1")).size());
        assertError(as(bobToken, "/api/alice"), 403, "42501");
        // alice learns no more about a name that does not exist than about bob
        JsonNode unknown = assertError(as(aliceToken, "/api/nobody"), 403, "42501");
        assertEquals(Json.of(as(aliceToken, "/api/bob")).path("hint"), unknown.path("hint"));
        assertError(as(aliceToken, "/api/alice/bike/obs?since=yesterday-ish"), 400, "22007");
        assertError(as(aliceToken, "/api/alice/bike/obs?bogus=1"), 400, "PGRST100");
        // admins look through any listener's eyes
        String admin = gw.token("tmi_admin", null, Duration.ofMinutes(1));
        assertEquals(2, Json.of(as(admin, "/api/alice")).size());
    }

    @Test
    void anUnknownListenerAnswersAsSomeoneElses() {
        for (String path : List.of("/api/%s", "/api/%s/bike/obs", "/rest/v1/api/%s")) {
            HttpResponse<String> existing = gw.get(String.format(path, "alice"));
            HttpResponse<String> unknown = gw.get(String.format(path, "nobody"));
            assertError(existing, 401, "42501");
            assertError(unknown, 401, "42501");
            assertEquals(Json.of(existing).path("hint"), Json.of(unknown).path("hint"), path);
            assertEquals(existing.headers().firstValue("WWW-Authenticate"), unknown.headers().firstValue("WWW-Authenticate"), path);
            String wrong = "Bearer " + gw.token("tmi_listener", "mallory", Duration.ofMinutes(1));
            assertError(gw.get(String.format(path, "alice"), "Authorization", wrong), 403, "42501");
            assertError(gw.get(String.format(path, "nobody"), "Authorization", wrong), 403, "42501");
            HttpResponse<String> invalid = gw.get(String.format(path, "nobody"), "Authorization", "Bearer not-a-jwt");
            assertError(invalid, 401, "PGRST301");
            assertError(gw.get(String.format(path, "alice"), "Authorization", "Bearer not-a-jwt"), 401, "PGRST301");
        }
        // speakers and admins may read every listener, so they are told a name is unknown
        String admin = gw.token("tmi_admin", null, Duration.ofMinutes(1));
        assertError(as(admin, "/api/nobody"), 400, "42704");
        assertError(as(gw.speaker(), "/api/nobody/bike/obs"), 400, "42704");
    }

    @Test
    void theOpenApiDocumentListsWhatTheRoleMayUse() {
        HttpResponse<String> anon = gw.get("/");
        assertEquals(200, anon.statusCode(), anon.body());
        assertTrue(anon.headers().firstValue("Content-Type").orElse("").startsWith("application/openapi+json"));
        JsonNode anonPaths = Json.of(anon).path("paths");
        assertFalse(anonPaths.has("/bike"), "tmi_anon may not read bike: " + anonPaths);
        assertFalse(anonPaths.has("/bike_obs"), anonPaths::toString);
        assertFalse(Json.of(anon).path("components").path("schemas").has("api_v2.bike"));
        JsonNode listener = Json.of(as(aliceToken, "/")).path("paths");
        assertTrue(listener.path("/bike").has("get"), listener::toString);
        assertFalse(listener.path("/bike").has("post"), "listeners may not write: " + listener);
        JsonNode speaker = Json.of(as(gw.speaker(), "/")).path("paths");
        for (String method : List.of("get", "post", "patch", "delete")) {
            assertTrue(speaker.path("/bike").has(method), () -> method + " " + speaker);
        }
        assertError(gw.get("/", "Authorization", "Bearer not-a-jwt"), 401, "PGRST301");
    }

    @Test
    void theOpenApiDocumentLeavesOutFunctionsTheRoleMayNotExecute(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION api_v2.speakers_only() RETURNS integer LANGUAGE sql AS 'SELECT 1'");
            st.execute("REVOKE EXECUTE ON FUNCTION api_v2.speakers_only() FROM PUBLIC");
            st.execute("GRANT EXECUTE ON FUNCTION api_v2.speakers_only() TO tmi_speaker");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Json.of(as(gw.speaker(), "/")).path("paths").has("/rpc/speakers_only") && System.nanoTime() < deadline) {
            gw.get("/rpc/speakers_only", "Authorization", "Bearer " + gw.speaker());
        }
        assertTrue(Json.of(as(gw.speaker(), "/")).path("paths").has("/rpc/speakers_only"));
        assertFalse(Json.of(gw.get("/")).path("paths").has("/rpc/speakers_only"));
        assertFalse(Json.of(as(aliceToken, "/")).path("paths").has("/rpc/speakers_only"));
    }

    @Test
    void rejectsAlgNoneWrongKeysExpiredTokensAndForeignRoles() {
        String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String claims = b64("{\"role\":\"tmi_admin\",\"exp\":" + (System.currentTimeMillis() / 1000 + 600) + "}");
        for (String none : List.of(header + "." + claims + ".", header + "." + claims)) {
            HttpResponse<String> r = as(none, "/bike");
            assertError(r, 401, "PGRST301");
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_token"), r.headers()::toString);
        }
        String wrongKey = JWT.create().withClaim("role", "tmi_admin").sign(Algorithm.HMAC256("another secret of at least 32 bytes!!"));
        assertError(as(wrongKey, "/bike"), 401, "PGRST301");
        String hs512 = JWT.create().withClaim("role", "tmi_admin").sign(Algorithm.HMAC512(gw.secret));
        assertError(as(hs512, "/bike"), 401, "PGRST301");
        String expired = gw.token("tmi_speaker", null, Duration.ofMinutes(-1));
        assertError(as(expired, "/bike"), 401, "PGRST303");
        String superuser = gw.token("postgres", null, Duration.ofMinutes(1));
        assertError(as(superuser, "/bike"), 401, "PGRST303");
        assertError(as("not.a.jwt", "/bike"), 401, "PGRST301");
        assertError(gw.get("/bike", "Authorization", "Basic dXNlcjpwdw=="), 401, "PGRST301");
        // tampering with the claims breaks the signature
        String[] parts = aliceToken.split("\\.");
        String forged = parts[0] + "." + b64("{\"role\":\"tmi_admin\",\"listener\":\"alice\"}") + "." + parts[2];
        assertError(as(forged, "/bike"), 401, "PGRST301");
        assertFalse(names(as(aliceToken, "/bike")).isEmpty());
    }

    @Test
    void aFunctionThatChangesTheSessionCannotLeakIntoLaterRequests(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION api_v1.switch_identity() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN"
                    + " PERFORM set_config('request.jwt.claims', '{\"role\":\"tmi_listener\",\"listener\":\"bob\"}', false);"
                    + " PERFORM set_config('role', 'tmi_speaker', false); RETURN 1; END $$");
        }
        // the schema cache finds the new function within a second or two
        HttpResponse<String> r;
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            r = gw.send("POST", "/rpc/switch_identity", "{}", "Authorization", "Bearer " + aliceToken,
                    "Content-Type", "application/json", "Content-Profile", "api_v1");
        } while (r.statusCode() == 404 && System.nanoTime() < deadline);
        assertEquals(200, r.statusCode(), r.body());
        for (int i = 0; i < 12; i++) {
            JsonNode rows = Json.of(as(aliceToken, "/bike?select=name,model&order=name"));
            assertEquals(2, rows.size(), rows::toString);
            assertTrue(rows.get(0).path("model").isNull(), rows::toString);
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
