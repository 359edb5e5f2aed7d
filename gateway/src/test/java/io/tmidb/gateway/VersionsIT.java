// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.ApiViews;
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

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request without a profile header is served by the newest version that has its resource or
 * function: api_v3 here has only {@code air_sensor}, api_v2 {@code bike} and {@code low_battery},
 * api_v1 {@code bike_obs} and {@code add_numbers}. The OpenAPI document says the same.
 */
@TmidbTest
class VersionsIT {
    private static GatewayFixture gw;
    private static TestDatabase database;
    private static String auth;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        database = db;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            st.execute("CREATE SCHEMA api_v3");
            st.execute("CREATE VIEW api_v3.air_sensor AS SELECT 1 AS id, 'north'::text AS site");
            st.execute("GRANT USAGE ON SCHEMA api_v3 TO tmi_listener, tmi_speaker, tmi_anon");
            st.execute("GRANT SELECT ON api_v3.air_sensor TO tmi_speaker");
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80}', 'B1')");
        }
        gw = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db)), db);
        auth = "Bearer " + gw.speaker();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static String profile(HttpResponse<String> r) {
        return r.headers().firstValue("Content-Profile").orElse(null);
    }

    @Test
    void eachResourceFromTheNewestVersionThatHasIt() {
        HttpResponse<String> sensor = gw.get("/air_sensor", "Authorization", auth);
        assertEquals(200, sensor.statusCode(), sensor.body());
        assertEquals(Json.parse("[{\"id\":1,\"site\":\"north\"}]"), Json.of(sensor));
        assertEquals("api_v3", profile(sensor));
        HttpResponse<String> bike = gw.get("/bike?select=name,in_service", "Authorization", auth);
        assertEquals(200, bike.statusCode(), bike.body());
        assertEquals("api_v2", profile(bike), "api_v2 is the newest with bike (it has in_service, api_v1 has not)");
        HttpResponse<String> obs = gw.get("/bike_obs", "Authorization", auth);
        assertEquals(200, obs.statusCode(), obs.body());
        assertEquals("api_v1", profile(obs));
    }

    @Test
    void functionsFromTheNewestVersionThatHasThem() {
        HttpResponse<String> sum = gw.get("/rpc/add_numbers?a=2&b=3", "Authorization", auth);
        assertEquals(200, sum.statusCode(), sum.body());
        assertEquals("5", sum.body().trim());
        assertEquals("api_v1", profile(sum));
        HttpResponse<String> low = gw.send("POST", "/rpc/low_battery", "{\"threshold\": 90}", "Authorization", auth,
                "Content-Type", "application/json");
        assertEquals(200, low.statusCode(), low.body());
        assertEquals("api_v2", profile(low));
        assertEquals(1, Json.of(low).size());
    }

    @Test
    void writesWithoutContentProfileGoToTheVersionThatHasTheResource() {
        HttpResponse<String> r = gw.send("POST", "/bike", "{\"name\": \"Bike 2\", \"ext_key\": \"B2\", \"battery\": 20}",
                "Authorization", auth, "Content-Type", "application/json");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("api_v2", profile(r));
        try (Connection c = database.connect(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT kind, meta->>'battery' FROM tmi.target WHERE ext_key = 'B2'")) {
            assertTrue(rs.next());
            assertEquals("bike", rs.getString(1));
            assertEquals("20", rs.getString(2));
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void publicAsSupabaseClientsSendItNamesNoVersion() {
        HttpResponse<String> obs = gw.get("/bike_obs", "Authorization", auth, "Accept-Profile", "public");
        assertEquals(200, obs.statusCode(), obs.body());
        assertEquals("api_v1", profile(obs));
        HttpResponse<String> low = gw.send("POST", "/rpc/low_battery", "{\"threshold\": 90}", "Authorization", auth,
                "Content-Type", "application/json", "Content-Profile", "public");
        assertEquals(200, low.statusCode(), low.body());
        assertEquals("api_v2", profile(low));
    }

    @Test
    void anExplicitProfileIsKept() {
        JsonNode e = assertError(gw.get("/bike", "Authorization", auth, "Accept-Profile", "api_v3"), 404, "PGRST205");
        assertTrue(e.path("message").asText().contains("api_v3.bike"), e::toString);
        assertError(gw.get("/rpc/add_numbers?a=1&b=2", "Authorization", auth, "Accept-Profile", "api_v2"), 404, "PGRST202");
    }

    @Test
    void unknownEverywhere() {
        JsonNode e = assertError(gw.get("/no_such_kind", "Authorization", auth), 404, "PGRST205");
        assertTrue(e.path("hint").asText().contains("No API version"), e::toString);
        assertError(gw.get("/rpc/no_such_function", "Authorization", auth), 404, "PGRST202");
    }

    @Test
    void theOpenApiDocumentNamesTheSameDefaults() {
        JsonNode paths = Json.of(gw.get("/", "Authorization", auth)).path("paths");
        for (var expected : List.of(List.of("/air_sensor", "api_v3"), List.of("/bike", "api_v2"), List.of("/bike_obs", "api_v1"),
                List.of("/rpc/add_numbers", "api_v1"), List.of("/rpc/low_battery", "api_v2"))) {
            JsonNode profile = paths.path(expected.get(0)).path("get").path("parameters").path(0);
            assertEquals("Accept-Profile", profile.path("name").asText(), paths::toString);
            assertEquals(expected.get(1), profile.path("schema").path("default").asText(), expected.get(0));
        }
    }
}
