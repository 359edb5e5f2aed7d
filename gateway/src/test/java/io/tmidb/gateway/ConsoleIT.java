// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console served at /console, in Debian's Chromium (gateway/console/test/console.test.mjs):
 * sign-in, Overview, Targets, Target and Map checked by what their screenshots show, which go to
 * docs/console/. The data: three bikes in Seoul, Paris and New York (Seoul with 2000 readings a
 * minute apart, a trace and alarms), 5000 meters, a failing connector, listener alice subscribed to
 * the bikes' battery and bob to their speed.
 */
@TmidbTest
class ConsoleIT {
    private static final String SECRET = "s3cr3t-pw";
    private static final Path CONSOLE = Path.of(System.getProperty("tmidb.console.dir", "console"));
    private static TestDatabase db;
    private static GatewayFixture gw;
    private static String seoul;

    @BeforeAll
    static void start(TestDatabase testDb) throws SQLException {
        db = testDb.sibling("console", false);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            seoul = scalar(c, "SELECT tmi.add_target('Seoul', 'bike', '{\"model\": \"city\"}', 'B-1')");
            st.execute("SELECT tmi.add_target('Paris', 'bike', '{\"model\": \"cargo\"}', 'B-2'),"
                    + " tmi.add_target('New York', 'bike', '{\"model\": \"city\"}', 'B-3')");
            // Seoul rides north-east for 2000 minutes and ends at the city hall; its battery goes up and down
            st.execute("""
                    SELECT tmi.observe(tmi.target_id('bike', 'B-1'), timestamptz '2026-11-20 00:00Z' + m * interval '1 minute',
                                       jsonb_build_object('battery', round((50 + 40 * sin(m / 150.0))::numeric, 2), 'speed', m % 30),
                                       37.5665 - (1999 - m) * 0.00003, 126.978 - (1999 - m) * 0.00004)
                      FROM generate_series(0, 1999) m""");
            st.execute("SELECT tmi.observe(tmi.target_id('bike', 'B-2'), '2026-11-20 12:00Z', '{\"battery\": 70, \"speed\": 3}', 48.8566, 2.3522),"
                    + " tmi.observe(tmi.target_id('bike', 'B-3'), '2026-11-20 12:00Z', '{\"battery\": 20, \"speed\": 0}', 40.7128, -74.006)");
            st.execute("SELECT tmi.add_target('meter ' || n, 'meter', jsonb_build_object('site', 'S' || n % 7), format('M-%s', lpad(n::text, 5, '0')))"
                    + " FROM generate_series(1, 5000) n");
            st.execute("SELECT tmi.add_listener('alice'), tmi.subscribe('alice', 'bike', ARRAY['battery'])");
            st.execute("SELECT tmi.add_listener('bob'), tmi.subscribe('bob', 'bike', ARRAY['speed'])");
            // alarms as the worker would have raised them on Seoul's battery: one open, one cleared
            st.execute("SELECT tmi.add_alarm('bike', 'battery', '>', 85, clear_at => 80, severity => 'critical', evaluate_existing => false)");
            st.execute("INSERT INTO tmi.alarm_event (rule_id, target_id, state, value, raised_at, cleared_at)"
                    + " SELECT r.rule_id, '" + seoul + "', s, v, at, CASE WHEN s = 'cleared' THEN at + interval '1 hour' END"
                    + " FROM tmi.alarm_rule r, (VALUES ('cleared', 86.5, timestamptz '2026-11-20 03:00Z'),"
                    + " ('active', 89.5, timestamptz '2026-11-21 05:00Z')) x (s, v, at)");
            // a connector failing for the third time in a row, with a password the console must never see
            st.execute("SELECT tmi.add_connector('weather', 'https://weather.example.org/now.json', '5 minutes', 'json',"
                    + " '{\"auth\": {\"user\": \"feed\", \"password\": \"" + SECRET + "\"}}')");
            st.execute("UPDATE tmi.ingest_connector SET consecutive_failures = 3, last_attempt = '2026-11-21 09:00Z', last_status = 503,"
                    + " last_error = 'HTTP 503 Service Unavailable', next_run = '2026-11-21 09:40Z' WHERE name = 'weather'");
        }
        gw = GatewayFixture.startOverGeneratedViews(db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void theConsoleIsServedFromTheJarWithoutAToken() {
        HttpResponse<String> index = gw.get("/console");
        assertEquals(200, index.statusCode(), index.body());
        assertTrue(index.body().contains("<title>tmiDB console</title>"), index.body());
        assertEquals("no-cache", index.headers().firstValue("Cache-Control").orElse(""));
        String script = index.body().replaceAll("(?s).*src=\"(/console/assets/[^\"]+\\.js)\".*", "$1");
        HttpResponse<String> js = gw.get(script);
        assertEquals(200, js.statusCode(), script);
        assertTrue(js.headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
        assertTrue(js.headers().firstValue("Cache-Control").orElse("").contains("immutable"));
        // a file that is not there, and a path that would leave the console's folder
        HttpResponse<String> missing = gw.get("/console/assets/nothing.js");
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("PGRST125"), missing.body());
        HttpResponse<String> escape = gw.get("/console/%2E%2E/io/tmidb/gateway/Gateway.class");
        assertNotEquals(200, escape.statusCode(), escape.body());
        // the API's own resources are still where they were
        assertEquals(200, gw.get("/bike", "Authorization", "Bearer " + gw.speaker()).statusCode());
    }

    @Test
    void connectorsAreReadThroughTheApiBySpeakersWithSecretsMasked() {
        HttpResponse<String> speaker = gw.get("/rpc/connectors", "Authorization", "Bearer " + gw.speaker());
        assertEquals(200, speaker.statusCode(), speaker.body());
        var row = Json.parse(speaker.body()).get(0);
        assertEquals("weather", row.get("name").asText());
        assertEquals(3, row.get("consecutive_failures").asInt());
        assertEquals("HTTP 503 Service Unavailable", row.get("last_error").asText());
        assertTrue(!speaker.body().contains(SECRET) && speaker.body().contains("********"), speaker.body());
        HttpResponse<String> listener = gw.get("/rpc/connectors", "Authorization", "Bearer "
                + gw.token("tmi_listener", "alice", Duration.ofMinutes(5)));
        assertEquals(403, listener.statusCode(), listener.body());
    }

    @Test
    void alarmsAreReadAsTheCallerMayReadThem() {
        HttpResponse<String> open = gw.get("/rpc/alarms", "Authorization", "Bearer " + gw.speaker());
        assertEquals(200, open.statusCode(), open.body());
        var rows = Json.parse(open.body());
        assertEquals(1, rows.size(), open.body());
        assertEquals(89.5, rows.get(0).get("value").asDouble());
        HttpResponse<String> all = gw.get("/rpc/alarms?history=true&target=" + seoul, "Authorization", "Bearer " + gw.speaker());
        assertEquals(2, Json.parse(all.body()).size(), all.body());
        // a listener of the bikes' battery sees the alarm with its value; one of another field sees it without
        String alice = "Bearer " + gw.token("tmi_listener", "alice", Duration.ofMinutes(5));
        assertEquals(89.5, Json.parse(gw.get("/rpc/alarms", "Authorization", alice).body()).get(0).get("value").asDouble());
        String bob = "Bearer " + gw.token("tmi_listener", "bob", Duration.ofMinutes(5));
        var bobs = Json.parse(gw.get("/rpc/alarms", "Authorization", bob).body());
        assertEquals(1, bobs.size(), bobs.toString());
        assertTrue(bobs.get(0).get("value").isNull(), bobs.toString());
        // only admins acknowledge
        assertEquals(403, gw.send("POST", "/rpc/ack_alarm", "{\"alarm_id\": 1}", "Authorization", "Bearer " + gw.speaker(),
                "Content-Type", "application/json").statusCode());
    }

    @Test
    void eachPageShowsWhatItsTokenMayReadInChromium() throws Exception {
        Map<String, String> env = Map.of(
                "TMIDB_URL", gw.base(),
                "TMIDB_ADMIN_TOKEN", gw.token("tmi_admin", null, Duration.ofHours(1)),
                "TMIDB_SPEAKER_TOKEN", gw.speaker(),
                "TMIDB_LISTENER_TOKEN", gw.token("tmi_listener", "alice", Duration.ofHours(1)),
                "TMIDB_BIKE", seoul,
                "TMIDB_SECRET", SECRET,
                "TMIDB_POSITIONS", "{\"Seoul\": [37.5665, 126.978], \"Paris\": [48.8566, 2.3522], \"New York\": [40.7128, -74.006]}",
                "TMIDB_SHOTS", System.getProperty("tmidb.console.shots", "target/console-shots"));
        NodeClients.Result run = NodeClients.run(CONSOLE, env, List.of("node", "test/console.test.mjs"));
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("all passed"), run.output());
    }
}
