// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.sun.net.httpserver.HttpServer;
import io.tmidb.testkit.S3Server;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerSettings;
import io.tmidb.worker.connector.ConnectorScheduler;
import io.tmidb.worker.host.PreviewDesk;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.ResultSet;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
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
 * minute apart, a trace, alarms and a file in the embedded object store), 5000 meters, a failing
 * connector, listener alice subscribed to the bikes' battery and bob to their speed. A tmidb-worker
 * runs the connectors the console adds (against a local HTTP server of bike stations) and answers
 * mapping previews and suggestions.
 */
@TmidbTest
class ConsoleIT {
    private static final String SECRET = "s3cr3t-pw";
    private static final Path CONSOLE = Path.of(System.getProperty("tmidb.console.dir", "console"));
    private static final String MANUAL = "Seoul bike: check the brakes every 500 km.\n";
    private static final String STATIONS = """
            {"stations": [
              {"id": "st-001", "name": "Quay", "bikes": 4, "lat": 37.5651, "lon": 126.9895, "updated": "2026-11-21T10:00:00Z"},
              {"id": "st-002", "name": "Market", "bikes": 11, "lat": 37.5700, "lon": 126.9920, "updated": "2026-11-21T10:00:00Z"},
              {"id": "st-003", "name": "Station", "bikes": 0, "lat": 37.5547, "lon": 126.9707, "updated": "2026-11-21T10:00:00Z"}]}""";
    private static TestDatabase db;
    private static GatewayFixture gw;
    private static String seoul;
    private static S3Server s3;
    private static HttpServer feed;
    private static Worker worker;

    @BeforeAll
    static void start(TestDatabase testDb) throws Exception {
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
            // its next run after the test: the worker below must not run it
            st.execute("UPDATE tmi.ingest_connector SET consecutive_failures = 3, last_attempt = now() - interval '20 minutes', last_status = 503,"
                    + " last_error = 'HTTP 503 Service Unavailable', next_run = now() + interval '40 minutes' WHERE name = 'weather'");
        }
        s3 = S3Server.startNew();
        gw = GatewayFixture.startOverGeneratedViews(db, Map.of("s3-endpoint", s3.endpoint(), "s3-access-key", s3.accessKey(),
                "s3-secret-key", s3.secretKey(), "file-content-types", "text/plain"));
        attach(seoul, "manual.txt", MANUAL);
        feed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        feed.createContext("/stations.json", ex -> {
            byte[] body = STATIONS.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        feed.start();
        // the connectors and the preview desk only: the data above stays as written
        worker = Worker.start(new WorkerContext(db::connect, WorkerSettings.of(Map.of("sweep-interval", "PT0.2S",
                "connector-allow-private", "true"))), List.of(new ConnectorScheduler(), new PreviewDesk()));
        awaitPreviewTickets();
    }

    @AfterAll
    static void stop() throws Exception {
        if (worker != null) {
            worker.close();
        }
        if (feed != null) {
            feed.stop(0);
        }
        gw.close();
        s3.close();
    }

    /** A text file attached to a target through the gateway's streamed upload, as a speaker would. */
    private static void attach(String target, String name, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        HttpResponse<String> up = gw.sendRaw("POST", "/files/stream?target_id=" + target + "&name=" + name + "&sha256=" + sha,
                HttpRequest.BodyPublishers.ofByteArray(bytes), "Authorization", "Bearer " + gw.speaker(), "Content-Type", "text/plain");
        assertEquals(201, up.statusCode(), up.body());
    }

    /** Previews are answered once the worker's desk holds its tickets. */
    private static void awaitPreviewTickets() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tmi.preview_tickets()")) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("the worker's preview desk took no ticket within 30 s");
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
        // a browser showing any page of the gateway asks for its icon: none, and no error
        HttpResponse<String> icon = gw.get("/favicon.ico");
        assertEquals(204, icon.statusCode(), icon.body());
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
                "TMIDB_FEED", "http://127.0.0.1:" + feed.getAddress().getPort() + "/stations.json",
                "TMIDB_MANUAL", MANUAL,
                "TMIDB_POSITIONS", "{\"Seoul\": [37.5665, 126.978], \"Paris\": [48.8566, 2.3522], \"New York\": [40.7128, -74.006]}",
                "TMIDB_SHOTS", System.getProperty("tmidb.console.shots", "target/console-shots"));
        NodeClients.Result run = NodeClients.run(CONSOLE, env, List.of("node", "test/console.test.mjs"));
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("all passed"), run.output());
    }
}
