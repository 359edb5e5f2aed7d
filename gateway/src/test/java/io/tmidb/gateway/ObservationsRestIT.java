// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

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
import java.util.List;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Observations and targets written over REST through the API views tmiDB generates: {@code POST
 * /<kind>_obs} (one object or an array, by target_id or ext_key, with a position) goes through
 * tmi.observe, so it validates, makes events and stores each reading once; {@code POST /<kind>}
 * upserts a target by ext_key.
 */
@TmidbTest
class ObservationsRestIT {
    private static TestDatabase db;
    private static GatewayFixture gw;
    private static String sensor;

    @BeforeAll
    static void start(TestDatabase testDb) throws SQLException {
        db = testDb.sibling("obs_rest", false);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            sensor = scalar(c, "SELECT tmi.add_target('Jung-gu', 'air_sensor', '{\"site\": \"roof\"}', 'AQ-1')");
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{}', 'B1')");
            st.execute("SELECT tmi.observe('" + sensor + "', '2026-11-20 09:00Z', '{\"pm10\": 30, \"temp\": 4.5}')");
        }
        // the schema versions the worker would make of what was written
        gw = GatewayFixture.startOverGeneratedViews(db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static HttpResponse<String> post(String path, String body, String... headers) {
        String[] all = new String[headers.length + 4];
        all[0] = "Authorization";
        all[1] = "Bearer " + gw.speaker();
        all[2] = "Content-Type";
        all[3] = "application/json";
        System.arraycopy(headers, 0, all, 4, headers.length);
        return gw.send("POST", path, body, all);
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = db.connect()) {
            return scalarLong(c, sql);
        }
    }

    @Test
    void observationsArePostedOnceWithTheirPositions() throws Exception {
        HttpResponse<String> one = post("/air_sensor_obs",
                "{\"ext_key\": \"AQ-1\", \"ts\": \"2026-11-20T10:00:00Z\", \"pm10\": 31, \"temp\": 5.0, \"lat\": 37.56, \"lon\": 126.97}");
        assertEquals(201, one.statusCode(), one.body());
        assertEquals("", one.body(), "return=minimal by default");
        HttpResponse<String> many = post("/air_sensor_obs", "[{\"target_id\": \"" + sensor + "\", \"ts\": \"2026-11-20T10:01:00Z\","
                + " \"pm10\": 32}, {\"ext_key\": \"AQ-1\", \"ts\": \"2026-11-20T10:02:00Z\", \"pm10\": 33}]",
                "Prefer", "return=representation");
        assertEquals(201, many.statusCode(), many.body());
        assertEquals(List.of(32.0, 33.0), Json.parse(many.body()).findValues("pm10").stream().map(v -> v.asDouble()).toList());
        assertTrue(Json.parse(many.body()).get(0).path("obs_id").asLong() > 0, many.body());

        try (Connection c = db.connect()) {
            assertEquals(List.of("2026-11-20 10:00:00+00 {\"pm10\": 31, \"temp\": 5} 37.56",
                            "2026-11-20 10:01:00+00 {\"pm10\": 32} -", "2026-11-20 10:02:00+00 {\"pm10\": 33} -"),
                    Sql.column(c, "SELECT o.ts || ' ' || o.payload || ' ' || coalesce(g.lat::text, '-') FROM tmi.ts_obs o"
                            + " LEFT JOIN tmi.geo_trace g USING (target_id, ts) WHERE o.ts >= '2026-11-20 10:00Z' ORDER BY o.ts"));
            // read back through the same resource, with the target's key and the position
            var read = Json.parse(gw.get("/air_sensor_obs?ts=eq.2026-11-20T10:00:00Z&select=ext_key,lat,lon,pm10",
                    "Authorization", "Bearer " + gw.speaker()).body());
            assertEquals("[{\"ext_key\":\"AQ-1\",\"lat\":37.56,\"lon\":126.97,\"pm10\":31}]", read.toString());
            long events = scalarLong(c, "SELECT count(*) FROM tmi.event_log");

            // the same readings again: nothing stored, no event
            assertEquals(201, post("/air_sensor_obs", "{\"ext_key\": \"AQ-1\", \"ts\": \"2026-11-20T10:00:00Z\", \"pm10\": 31,"
                    + " \"lat\": 37.56, \"lon\": 126.97}").statusCode());
            assertEquals(4, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(events, scalarLong(c, "SELECT count(*) FROM tmi.event_log"));
            // a different value corrects the reading
            assertEquals(201, post("/air_sensor_obs", "{\"ext_key\": \"AQ-1\", \"ts\": \"2026-11-20T10:00:00Z\", \"pm10\": 35}").statusCode());
            assertEquals("{\"pm10\": 35, \"temp\": 5}", scalar(c, "SELECT payload::text FROM tmi.ts_obs WHERE ts = '2026-11-20 10:00Z'"));
            assertEquals(List.of("obs.corrected"), Sql.column(c, "SELECT event_type FROM tmi.event_log ORDER BY log_id DESC LIMIT 1"));
        }
    }

    @Test
    void badObservationsAreRefusedAndChangeNothing() throws Exception {
        long before = count("SELECT count(*) FROM tmi.ts_obs");
        // an array with one bad row stores none of it
        HttpResponse<String> halfPosition = post("/air_sensor_obs", "[{\"ext_key\": \"AQ-1\", \"ts\": \"2026-11-21T10:00:00Z\","
                + " \"pm10\": 1}, {\"ext_key\": \"AQ-1\", \"ts\": \"2026-11-21T10:01:00Z\", \"pm10\": 2, \"lat\": 37.5}]");
        assertEquals(400, halfPosition.statusCode(), halfPosition.body());
        assertEquals("22023", Json.parse(halfPosition.body()).path("code").asText());
        assertTrue(Json.parse(halfPosition.body()).path("hint").asText().contains("both coordinates"), halfPosition.body());
        HttpResponse<String> unknown = post("/air_sensor_obs", "{\"ext_key\": \"AQ-404\", \"pm10\": 1}");
        assertEquals("42704", Json.parse(unknown.body()).path("code").asText(), unknown.body());
        HttpResponse<String> noTarget = post("/air_sensor_obs", "{\"pm10\": 1}");
        assertEquals("22004", Json.parse(noTarget.body()).path("code").asText(), noTarget.body());
        HttpResponse<String> otherKind = post("/air_sensor_obs", "{\"target_id\": \"" + scalarOf("SELECT tmi.target_id('bike', 'B1')")
                + "\", \"pm10\": 1}");
        assertEquals("42704", Json.parse(otherKind.body()).path("code").asText(), otherKind.body());
        HttpResponse<String> listener = gw.send("POST", "/air_sensor_obs", "{\"ext_key\": \"AQ-1\", \"pm10\": 1}",
                "Authorization", "Bearer " + gw.token("tmi_listener", "nobody", Duration.ofMinutes(1)), "Content-Type", "application/json");
        assertEquals(403, listener.statusCode(), listener.body());
        assertEquals(before, count("SELECT count(*) FROM tmi.ts_obs"));
    }

    @Test
    void postingATargetWithAKnownKeyUpdatesIt() throws Exception {
        HttpResponse<String> r = post("/air_sensor", "{\"ext_key\": \"AQ-1\", \"site\": \"tower\"}", "Prefer", "return=representation");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("Jung-gu tower", Json.parse(r.body()).get(0).path("name").asText() + " "
                + Json.parse(r.body()).get(0).path("site").asText());
        assertEquals(201, post("/air_sensor", "{\"ext_key\": \"AQ-2\", \"site\": \"park\"}").statusCode());
        assertEquals(List.of("AQ-1 Jung-gu {\"site\": \"tower\"}", "AQ-2 AQ-2 {\"site\": \"park\"}"), columnOf(
                "SELECT ext_key || ' ' || name || ' ' || meta FROM tmi.target WHERE kind = 'air_sensor' ORDER BY ext_key"));
    }

    @Test
    void targetsArePatchedAndDeletedThroughTheGeneratedView() throws Exception {
        assertEquals(201, post("/air_sensor", "{\"ext_key\": \"AQ-9\", \"site\": \"gate\"}").statusCode());
        HttpResponse<String> patch = gw.send("PATCH", "/air_sensor?ext_key=eq.AQ-9", "{\"site\": \"fence\"}",
                "Authorization", "Bearer " + gw.speaker(), "Content-Type", "application/json");
        assertEquals(204, patch.statusCode(), patch.body());
        assertEquals(List.of("{\"site\": \"fence\"}"), columnOf("SELECT meta::text FROM tmi.target WHERE ext_key = 'AQ-9'"));
        HttpResponse<String> delete = gw.send("DELETE", "/air_sensor?ext_key=eq.AQ-9&limit=1&order=ext_key", null,
                "Authorization", "Bearer " + gw.speaker());
        assertEquals(204, delete.statusCode(), delete.body());
        assertEquals(List.of(), columnOf("SELECT ext_key FROM tmi.target WHERE ext_key = 'AQ-9'"));
    }

    private static String scalarOf(String sql) throws SQLException {
        try (Connection c = db.connect()) {
            return scalar(c, sql);
        }
    }

    private static List<String> columnOf(String sql) throws SQLException {
        try (Connection c = db.connect()) {
            return Sql.column(c, sql);
        }
    }
}
