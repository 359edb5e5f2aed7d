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
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway as a Supabase app sees it: {@code src/test/js/supabase.mjs} calls
 * {@code createClient(url, key)} of {@code @supabase/supabase-js} (pinned in package-lock.json,
 * installed by {@link NodeClients}) unchanged, through {@code /rest/v1} with the key in
 * {@code apikey} and {@code Authorization}: counts, full-text search, regular expressions,
 * any/all patterns, isdistinct, in lists with reserved characters, resources and functions of
 * older versions without naming them, writes, errors, an anonymous key, and the OpenAPI document
 * per role ({@link NodeClients#supabaseOptions} on Node 20). The front door's functions through
 * {@code .rpc()}: {@link SupabaseRpcIT}.
 */
@TmidbTest
class SupabaseJsIT {
    private static WriteFixture fx;
    private static GatewayFixture gw;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        fx = WriteFixture.start(db);
        gw = fx.gateway();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"fast city bikes\", \"in_service\": true}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo bike\", \"in_service\": false}', 'B2')");
            st.execute("SELECT tmi.add_target('Bike 3', 'bike', $j${\"battery\": 55, \"model\": \"C:\\\\bikes\\\\city\"}$j$, 'B3')");
        }
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void createClientWorksUnchanged() throws IOException, InterruptedException {
        String output = NodeClients.run("supabase.mjs", Map.of("GATEWAY_URL", gw.base(), "SPEAKER_TOKEN", gw.speaker(),
                "ANON_TOKEN", gw.token("tmi_anon", null, Duration.ofMinutes(5))), NodeClients.supabaseOptions());
        assertTrue(output.contains("11 ok, 0 failing"), output);
        assertEquals(List.of("1:merged:gateway"), fx.notes("true"), "what the script wrote and left");
    }
}
