// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PostgREST's URL dialect over the api_vN views, through real HTTP to a real gateway. */
@TmidbTest
class RestIT {
    private static GatewayFixture gw;
    private static String auth;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        gw = GatewayFixture.start(db);
        auth = "Bearer " + gw.speaker();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\", \"in_service\": true,"
                    + " \"tags\": {\"color\": \"red\", \"docks\": [1, 2]}}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\", \"in_service\": false}', 'B2')");
            st.execute("SELECT tmi.add_target('Bike 3', 'bike', '{\"battery\": 55, \"model\": \"City\"}', 'B3')");
            st.execute("SELECT tmi.add_target('Scooter 1', 'scooter', '{\"battery\": 50}', 'S1')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static HttpResponse<String> get(String path, String... headers) {
        List<String> h = new ArrayList<>(List.of("Authorization", auth));
        h.addAll(List.of(headers));
        return gw.get(path, h.toArray(String[]::new));
    }

    private static List<String> names(HttpResponse<String> r) {
        assertTrue(r.statusCode() == 200 || r.statusCode() == 206, () -> r.statusCode() + " " + r.body());
        List<String> out = new ArrayList<>();
        Json.of(r).forEach(row -> out.add(row.path("name").asText()));
        return out;
    }

    @Test
    void selectFilterAndOrder() {
        HttpResponse<String> r = get("/bike?select=name,battery&battery=gte.50&order=battery.desc");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(Json.parse("[{\"name\":\"Bike 1\",\"battery\":80},{\"name\":\"Bike 3\",\"battery\":55}]"), Json.of(r));
        assertEquals("0-1/*", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("api_v2", r.headers().firstValue("Content-Profile").orElseThrow());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
    }

    @Test
    void everyOperator() {
        assertEquals(List.of("Bike 2"), names(get("/bike?battery=lt.30")));
        assertEquals(List.of("Bike 2"), names(get("/bike?battery=lte.20")));
        assertEquals(List.of("Bike 1"), names(get("/bike?battery=gt.60")));
        assertEquals(List.of("Bike 1", "Bike 3"), names(get("/bike?battery=neq.20&order=name")));
        assertEquals(List.of("Bike 1", "Bike 2"), names(get("/bike?battery=in.(80,20)&order=name")));
        assertEquals(List.of("Bike 1"), names(get("/bike?model=like.ci*")));
        assertEquals(List.of("Bike 1", "Bike 3"), names(get("/bike?model=ilike.CI*&order=name")));
        assertEquals(List.of("Bike 3"), names(get("/bike?in_service=is.null")));
        assertEquals(List.of("Bike 2"), names(get("/bike?in_service=is.false")));
        assertEquals(List.of("Bike 1"), names(get("/bike?tags=cs.%7B%22color%22%3A%22red%22%7D")));
        assertEquals(List.of("Bike 2", "Bike 3"), names(get("/bike?battery=not.eq.80&order=name")));
        assertEquals(List.of("Bike 1", "Bike 2"), names(get("/bike?or=(battery.lt.30,model.eq.city)&order=name")));
        assertEquals(List.of("Bike 3"), names(get("/bike?and=(model.ilike.city,not.or(battery.gt.70,battery.is.null))")));
        assertEquals(List.of("Bike 3"), names(get("/bike?not.or=(battery.gt.70,model.eq.cargo)")));
    }

    @Test
    void jsonPaths() {
        HttpResponse<String> r = get("/bike?select=name,color:tags->>color,tags->docks&tags->>color=eq.red");
        assertEquals(Json.parse("[{\"name\":\"Bike 1\",\"color\":\"red\",\"docks\":[1,2]}]"), Json.of(r));
        assertEquals(List.of("Bike 1"), names(get("/bike?tags->docks->>0=eq.1")));
        assertError(get("/bike?select=battery->x"), 400, "PGRST100");
    }

    @Test
    void limitOffsetRangeAndCount() {
        HttpResponse<String> r = get("/bike?order=name", "Range", "0-1", "Prefer", "count=exact");
        assertEquals(206, r.statusCode(), r.body());
        assertEquals("0-1/3", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("count=exact", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals(List.of("Bike 1", "Bike 2"), names(r));

        r = get("/bike?order=name&limit=1&offset=1", "Prefer", "count=exact");
        assertEquals(206, r.statusCode());
        assertEquals("1-1/3", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals(List.of("Bike 2"), names(r));

        r = get("/bike?order=name", "Prefer", "count=exact");
        assertEquals(200, r.statusCode());
        assertEquals("0-2/3", r.headers().firstValue("Content-Range").orElseThrow());

        r = get("/bike?order=name&limit=5", "Range", "2-");
        assertEquals(List.of("Bike 3"), names(r));
        assertEquals("2-2/*", r.headers().firstValue("Content-Range").orElseThrow());

        r = get("/bike?battery=gt.100");
        assertEquals("*/*", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("[]", r.body());

        assertError(get("/bike?offset=10", "Prefer", "count=exact"), 416, "PGRST103");
        assertError(get("/bike", "Range", "5-2"), 416, "PGRST103");
        assertError(get("/bike", "Range", "x-y"), 400, "PGRST100");
        assertError(get("/bike?limit=-1"), 400, "PGRST100");
    }

    @Test
    void profilesChooseTheVersion() {
        JsonNode v1 = Json.of(get("/bike?limit=1", "Accept-Profile", "api_v1")).get(0);
        assertFalse(v1.has("in_service"));
        assertTrue(Json.of(get("/bike?limit=1")).get(0).has("in_service"));
        assertEquals("api_v1", get("/bike", "Accept-Profile", "api_v1").headers().firstValue("Content-Profile").orElseThrow());
        assertError(get("/bike?select=in_service", "Accept-Profile", "api_v1"), 400, "42703");
        JsonNode e = assertError(get("/bike", "Accept-Profile", "api_v9"), 406, "PGRST106");
        assertTrue(e.path("message").asText().contains("api_v1, api_v2"), e::toString);
        assertError(gw.send("POST", "/bike", "{\"name\":\"x\"}", "Authorization", auth, "Content-Profile", "api_v9",
                "Content-Type", "application/json"), 406, "PGRST106");
    }

    @Test
    void insertUpdateDeleteForSpeakers() {
        HttpResponse<String> r = gw.send("POST", "/bike?select=target_id,name,battery", "{\"name\":\"Bike 9\",\"ext_key\":\"B9\",\"battery\":91}",
                "Authorization", auth, "Content-Type", "application/json", "Prefer", "return=representation");
        assertEquals(201, r.statusCode(), r.body());
        JsonNode row = Json.of(r).get(0);
        assertEquals("Bike 9", row.path("name").asText());
        assertEquals(91, row.path("battery").asInt());
        assertEquals(36, row.path("target_id").asText().length());
        assertEquals("return=representation", r.headers().firstValue("Preference-Applied").orElseThrow());

        r = gw.send("POST", "/bike", "[{\"name\":\"Bike 10\",\"ext_key\":\"B10\"},{\"name\":\"Bike 11\",\"ext_key\":\"B11\"}]",
                "Authorization", auth, "Content-Type", "application/json");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("", r.body());

        r = gw.send("PATCH", "/bike?ext_key=eq.B9", "{\"battery\":12}", "Authorization", auth,
                "Content-Type", "application/json", "Prefer", "return=representation");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(12, Json.of(r).get(0).path("battery").asInt());

        r = gw.send("DELETE", "/bike?ext_key=in.(B9,B10,B11)", null, "Authorization", auth);
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("[]", get("/bike?ext_key=in.(B9,B10,B11)").body());

        assertError(gw.send("POST", "/bike", "{\"name\":", "Authorization", auth, "Content-Type", "application/json"), 400, "PGRST102");
        assertError(gw.send("POST", "/bike", "{\"nope\":1}", "Authorization", auth, "Content-Type", "application/json"), 400, "PGRST204");
        assertError(gw.send("POST", "/bike", "name=x", "Authorization", auth, "Content-Type", "text/plain"), 415, "PGRST107");
        assertError(gw.send("POST", "/bike", "{\"name\":\"\"}", "Authorization", auth, "Content-Type", "application/json"), 400, "23514");
    }

    @Test
    void rpc() {
        HttpResponse<String> r = get("/rpc/add_numbers?a=1&b=2", "Accept-Profile", "api_v1");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("3", r.body());
        r = gw.send("POST", "/rpc/low_battery", "{\"threshold\": 50}", "Authorization", auth, "Content-Type", "application/json");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("Bike 2"), names(r));
        assertEquals(List.of("Bike 3", "Bike 2"), names(get("/rpc/low_battery?threshold=60&select=name&order=name.desc")));
        assertError(get("/rpc/nope"), 404, "PGRST202");
        assertError(get("/rpc/low_battery?wrong=1"), 404, "PGRST202");
        assertError(get("/rpc/low_battery?threshold=abc"), 400, "22P02");
    }

    @Test
    void openApiListsEveryVersionedResource() {
        HttpResponse<String> r = get("/");
        assertEquals(200, r.statusCode());
        JsonNode doc = Json.of(r);
        assertEquals("tmiDB API", doc.path("info").path("title").asText());
        assertTrue(doc.path("openapi").asText().startsWith("3."));
        assertTrue(doc.path("paths").has("/bike") && doc.path("paths").has("/bike_obs") && doc.path("paths").has("/rpc/low_battery"));
        JsonNode schemas = doc.path("components").path("schemas");
        assertTrue(schemas.has("api_v1.bike") && schemas.has("api_v2.bike") && schemas.has("api_v1.bike_obs"), schemas::toString);
        assertEquals("number", schemas.path("api_v2.bike").path("properties").path("battery").path("type").asText());
    }

    @Test
    void errorsHavePostgrestShape() {
        assertError(get("/nothing"), 404, "PGRST205");
        assertError(get("/bike?nope=eq.1"), 400, "42703");
        assertError(get("/bike?battery=approx.1"), 400, "PGRST100");
        assertError(get("/bike?battery=eq.abc"), 400, "22P02");
        assertError(get("/bike?select=name(x)"), 400, "PGRST100");
        assertError(get("/bike", "Accept", Negotiation()), 406, "PGRST116");
        assertError(get("/bike", "Accept", "text/csv"), 406, "PGRST107");
        assertError(gw.get("/a/b/c"), 404, "PGRST125");
        HttpResponse<String> one = get("/bike?ext_key=eq.B2", "Accept", Negotiation());
        assertEquals(200, one.statusCode(), one.body());
        assertEquals("Bike 2", Json.of(one).path("name").asText());
        HttpResponse<String> head = gw.send("HEAD", "/bike", null, "Authorization", auth, "Prefer", "count=exact");
        assertEquals(200, head.statusCode());
        assertEquals("0-2/3", head.headers().firstValue("Content-Range").orElseThrow());
    }

    private static String Negotiation() {
        return io.tmidb.gateway.internal.request.Negotiation.OBJECT;
    }
}
