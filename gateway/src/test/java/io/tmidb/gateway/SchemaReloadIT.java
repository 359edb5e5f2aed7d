// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A new schema version is served as the default once the database sends PostgREST's reload signal. */
@TmidbTest
class SchemaReloadIT {

    @Test
    void notifyPgrstReloadsTheSchemaCache(TestDatabase db) throws SQLException, InterruptedException {
        try (Connection c = db.connect()) {
            ApiViews.create(c);
        }
        try (Gateway gateway = Gateway.start(GatewayFixture.settings(db, Map.of("schema-refresh", "PT1H")))) {
            GatewayFixture http = GatewayFixture.attach(gateway, db);
            String token = "Bearer " + http.speaker();
            assertEquals("api_v2", http.get("/bike", "Authorization", token).headers().firstValue("Content-Profile").orElseThrow());
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA api_v3");
                st.execute("CREATE VIEW api_v3.bike WITH (security_invoker = true) AS SELECT * FROM api_v2.bike");
                st.execute("GRANT USAGE ON SCHEMA api_v3 TO tmi_speaker, tmi_listener");
                st.execute("GRANT SELECT ON api_v3.bike TO tmi_listener");
                st.execute("NOTIFY pgrst, 'reload schema'");
            }
            String profile = "";
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!profile.equals("api_v3") && System.nanoTime() < deadline) {
                Thread.sleep(100);
                HttpResponse<String> r = http.get("/bike", "Authorization", token);
                assertEquals(200, r.statusCode(), r.body());
                profile = r.headers().firstValue("Content-Profile").orElseThrow();
            }
            assertEquals("api_v3", profile);
        }
    }
}
