// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tmidb.testkit.Sql.column;
import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SQL front door through {@code @supabase/supabase-js} {@code .rpc()}, unchanged
 * ({@code src/test/js/supabase-rpc.mjs}), over the API versions tmiDB generates: ingest and
 * observe with a speaker's key, near, target_id, status and series as a listener, events_since
 * refused for a speaker; then what the database holds, read here.
 */
@TmidbTest
class SupabaseRpcIT {
    private static TestDatabase db;
    private static GatewayFixture gw;
    private static String sensor;

    @BeforeAll
    static void start(TestDatabase testDb) throws SQLException {
        db = testDb.sibling("supabase_rpc", false);
        sensor = AirSensors.load(db);
        // the schema versions the worker would make of what was written
        gw = GatewayFixture.startOverGeneratedViews(db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void theFrontDoorWorksThroughRpc() throws IOException, InterruptedException, SQLException {
        String output = NodeClients.run("supabase-rpc.mjs", Map.of("GATEWAY_URL", gw.base(), "SPEAKER_TOKEN", gw.speaker(),
                "LISTENER_TOKEN", gw.token("tmi_listener", "alice", Duration.ofMinutes(5)), "SENSOR", sensor), NodeClients.supabaseOptions());
        assertTrue(output.contains("7 ok, 0 failing"), output);
        try (Connection c = db.connect()) {
            assertEquals("supabase-app {\"n\": [1, 2], \"note\": \"ok\"} pending",
                    scalar(c, "SELECT source || ' ' || payload || ' ' || status FROM tmi.raw_bucket WHERE raw_id = " + printed(output, "raw_id")));
            assertEquals("supabase-text \"on\"",
                    scalar(c, "SELECT source || ' ' || payload FROM tmi.raw_bucket WHERE raw_id = " + printed(output, "text_raw_id")));
            assertEquals(List.of("supabase-app", "supabase-text"), column(c, "SELECT source FROM tmi.raw_bucket ORDER BY raw_id"),
                    "nothing else stored: the listener's ingest was refused");
            assertEquals(sensor + " 2026-11-22 00:00:00+00 {\"pm10\": 9}", scalar(c, "SELECT target_id || ' ' || (ts AT TIME ZONE 'UTC')::text"
                    + " || '+00 ' || payload FROM tmi.ts_obs WHERE obs_id = " + printed(output, "obs_id")));
            assertEquals("37.57 126.98", scalar(c, "SELECT lat || ' ' || lon FROM tmi.geo_trace WHERE target_id = '" + sensor
                    + "' AND ts = '2026-11-22T00:00:00Z'"));
            assertEquals("0", scalar(c, "SELECT count(*) FROM tmi.ts_obs WHERE ts = '2026-11-22T01:00:00Z'"), "the refused observation");
        }
    }

    /** The number the script printed as {@code name=<n>}. */
    private static long printed(String output, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "=(\\d+)$").matcher(output);
        assertTrue(m.find(), output);
        return Long.parseLong(m.group(1));
    }
}
