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
 * minute apart and a trace), 5000 meters, and listener alice subscribed to the bikes' battery.
 */
@TmidbTest
class ConsoleIT {
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
    void eachPageShowsWhatItsTokenMayReadInChromium() throws Exception {
        Map<String, String> env = Map.of(
                "TMIDB_URL", gw.base(),
                "TMIDB_ADMIN_TOKEN", gw.token("tmi_admin", null, Duration.ofHours(1)),
                "TMIDB_SPEAKER_TOKEN", gw.speaker(),
                "TMIDB_LISTENER_TOKEN", gw.token("tmi_listener", "alice", Duration.ofHours(1)),
                "TMIDB_BIKE", seoul,
                "TMIDB_POSITIONS", "{\"Seoul\": [37.5665, 126.978], \"Paris\": [48.8566, 2.3522], \"New York\": [40.7128, -74.006]}",
                "TMIDB_SHOTS", System.getProperty("tmidb.console.shots", "target/console-shots"));
        NodeClients.Result run = NodeClients.run(CONSOLE, env, List.of("node", "test/console.test.mjs"));
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("all passed"), run.output());
    }
}
