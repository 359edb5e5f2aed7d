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
import java.time.Duration;
import java.util.List;

import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL front door and the everyday reads of observations over REST, in a version tmiDB
 * generates: /rpc/ingest, observe, near, target_id, status, events_since and series with the
 * grants they have in SQL; the latest reading of every target of a kind; a downsampled series
 * within what a listener may read.
 */
@TmidbTest
class FrontDoorRestIT {
    private static TestDatabase db;
    private static GatewayFixture gw;
    private static String sensor;

    @BeforeAll
    static void start(TestDatabase testDb) throws SQLException {
        db = testDb.sibling("front_door_rest", false);
        sensor = AirSensors.load(db);
        // the schema versions the worker would make of what was written
        gw = GatewayFixture.startOverGeneratedViews(db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static HttpResponse<String> as(String token, String method, String path, String body) {
        return gw.send(method, path, body, "Authorization", "Bearer " + token, "Content-Type", "application/json");
    }

    private static String alice() {
        return gw.token("tmi_listener", "alice", Duration.ofMinutes(5));
    }

    @Test
    void theFrontDoorAnswersOverRpcWithItsSqlGrants() throws Exception {
        HttpResponse<String> ingest = as(gw.speaker(), "POST", "/rpc/ingest", "{\"source\": \"field-app\", \"payload\": {\"note\": \"ok\"}}");
        assertEquals(200, ingest.statusCode(), ingest.body());
        try (Connection c = db.connect()) {
            assertEquals("field-app {\"note\": \"ok\"}", scalar(c, "SELECT source || ' ' || payload FROM tmi.raw_bucket WHERE raw_id = "
                    + ingest.body()));
        }
        HttpResponse<String> id = as(gw.speaker(), "GET", "/rpc/target_id?kind=air_sensor&ext_key=AQ-1", null);
        assertEquals("\"" + sensor + "\"", id.body());
        HttpResponse<String> observe = as(gw.speaker(), "POST", "/rpc/observe", "{\"target\": \"" + sensor
                + "\", \"ts\": \"2026-11-21T00:00:00Z\", \"payload\": {\"pm10\": 7}}");
        assertEquals(200, observe.statusCode(), observe.body());
        JsonNode near = Json.parse(as(gw.speaker(), "GET", "/rpc/near?lat=37.56&lon=126.97&radius_m=2000", null).body());
        assertEquals(List.of("Jung-gu", "Mapo"), near.findValuesAsText("name").stream().sorted().toList());
        assertTrue(as(alice(), "GET", "/rpc/status", null).body().contains("\"subsystem\""));

        // the grants of SQL: a listener may not write or read events, a speaker may not read events
        assertEquals(403, as(alice(), "POST", "/rpc/ingest", "{\"source\": \"x\", \"payload\": {}}").statusCode());
        assertEquals(403, as(alice(), "POST", "/rpc/observe", "{\"target\": \"" + sensor + "\", \"ts\": \"2026-11-21T00:00:00Z\","
                + " \"payload\": {}}").statusCode());
        assertEquals(403, as(gw.speaker(), "POST", "/rpc/events_since", "{\"after_id\": 0}").statusCode());
        HttpResponse<String> events = as(gw.token("tmi_admin", null, Duration.ofMinutes(5)), "POST", "/rpc/events_since",
                "{\"after_id\": 0, \"max_events\": 2}");
        assertEquals(2, Json.parse(events.body()).size(), events.body());
        // bad input is the front door's own error
        HttpResponse<String> bad = as(gw.speaker(), "POST", "/rpc/observe", "{\"target\": \"" + sensor
                + "\", \"ts\": \"2026-11-21T00:00:00Z\", \"payload\": {}, \"lat\": 95, \"lon\": 0}");
        assertEquals("22023", Json.parse(bad.body()).path("code").asText(), bad.body());
    }

    @Test
    void theLatestReadingOfEveryTargetIsOneRequest() {
        HttpResponse<String> latest = as(gw.speaker(), "GET", "/air_sensor_latest?select=ext_key,ts,pm10,no2&order=ext_key", null);
        assertEquals(200, latest.statusCode(), latest.body());
        JsonNode rows = Json.parse(latest.body());
        assertEquals("AQ-2", rows.get(1).path("ext_key").asText());
        assertEquals(35, rows.get(1).path("pm10").asInt());
        assertEquals(135, rows.get(1).path("no2").asInt());
        // a listener sees its subscribed field only
        JsonNode hers = Json.parse(as(alice(), "GET", "/air_sensor_latest?ext_key=eq.AQ-2&select=pm10,no2", null).body());
        assertEquals("[{\"pm10\":35,\"no2\":null}]", hers.toString());
        // the last readings of one target, newest first
        JsonNode last = Json.parse(as(alice(), "GET", "/air_sensor_obs?ext_key=eq.AQ-2&order=ts.desc&limit=3&select=pm10", null).body());
        assertEquals("[{\"pm10\":35},{\"pm10\":34},{\"pm10\":33}]", last.toString());
    }

    @Test
    void aSeriesIsDownsampledWithinWhatTheCallerMayRead() {
        String target = "target=" + sensor + "&field=pm10&bucket=1%20hour&since=2026-11-20T00:00:00Z&until=2026-11-20T06:00:00Z";
        JsonNode series = Json.parse(as(alice(), "GET", "/rpc/series?" + target, null).body());
        assertEquals(6, series.size(), series.toString());
        assertEquals("2.5 0 5 6", series.get(0).path("avg").asText() + " " + series.get(0).path("min").asInt() + " "
                + series.get(0).path("max").asInt() + " " + series.get(0).path("n").asInt());
        HttpResponse<String> hidden = as(alice(), "GET", "/rpc/series?target=" + sensor + "&field=no2&bucket=1%20hour", null);
        assertEquals("42704", Json.parse(hidden.body()).path("code").asText(), hidden.body());
        HttpResponse<String> months = as(alice(), "GET", "/rpc/series?target=" + sensor + "&field=pm10&bucket=1%20month", null);
        assertEquals("22023", Json.parse(months.body()).path("code").asText(), months.body());
    }
}
