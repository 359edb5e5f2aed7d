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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway as an existing PostgREST client sees it: {@code src/test/js/postgrest.mjs} drives
 * {@code @supabase/postgrest-js} (pinned in package-lock.json, installed by {@link NodeClients})
 * through select, filters, order, range, insert with representation, rpc (also HEAD), upsert, a
 * limited delete, maxAffected, a singular update that must roll back, counts on insert and stripNulls.
 * Needs node and npm (scripts/install-deps installs them).
 */
@TmidbTest
class PostgrestJsIT {
    private static GatewayFixture gw;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        gw = WriteFixture.start(db).gateway();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\", \"in_service\": true,"
                    + " \"tags\": {\"color\": \"red\"}}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\", \"in_service\": false}', 'B2')");
            st.execute("SELECT tmi.add_target('Bike 3', 'bike', '{\"battery\": 55, \"model\": \"City\"}', 'B3')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void postgrestJsWorksAgainstTheGateway() throws IOException, InterruptedException {
        String output = NodeClients.run("postgrest.mjs", Map.of("GATEWAY_URL", gw.base(), "SPEAKER_TOKEN", gw.speaker()));
        assertTrue(output.contains("16 ok, 0 failing"), output);
    }
}
