// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.ScratchReplica;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway over a primary and a real streaming replica ({@code db-read-urls}): reads go to the
 * replica, writes and volatile functions to the primary, and a client that wrote reads its write
 * even while the replica is behind — the gateway waits for the replica to replay it, or reads from
 * the primary once {@code db-read-wait} has passed. The replica is held behind by pausing its
 * replay ({@code pg_wal_replay_pause()}), so that "behind" does not depend on timing. Where a
 * request ran is the database's answer: {@code pg_is_in_recovery()} in the view and functions read.
 */
@TmidbTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReadReplicasIT {
    private static final String V2 = "Accept-Profile";
    private static TestDatabase db;
    private static ScratchReplica replica;

    @BeforeAll
    static void prepare(TestDatabase database) throws Exception {
        db = database;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            st.execute("CREATE VIEW api_v2.bike_where WITH (security_invoker = true) AS"
                    + " SELECT ext_key, pg_is_in_recovery() AS on_replica FROM api_v2.bike");
            st.execute("CREATE FUNCTION api_v2.served_by() RETURNS text LANGUAGE sql STABLE"
                    + " AS $$ SELECT CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE 'primary' END $$");
            st.execute("CREATE FUNCTION api_v2.served_by_volatile() RETURNS text LANGUAGE sql VOLATILE"
                    + " AS $$ SELECT CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE 'primary' END $$");
            st.execute("GRANT SELECT ON api_v2.bike_where TO tmi_speaker, tmi_listener");
        }
        replica = ScratchReplica.start(db.cluster(), "gateway_reads");
    }

    @AfterAll
    static void dropReplica() throws Exception {
        replica.close();
    }

    /** A gateway reading from the replica (once it replayed the gateway's login) with {@code more} settings. */
    private static GatewayFixture gateway(Map<String, String> more) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(Map.of("db-read-urls", replica.jdbcUrl(db.name())));
        all.putAll(more);
        GatewaySettings settings = GatewayFixture.settings(db, all);
        replica.awaitReplayed();
        return GatewayFixture.attach(Gateway.start(settings), db);
    }

    @Test
    void readsGoToTheReplicaWritesAndVolatileCallsToThePrimary() throws Exception {
        try (GatewayFixture gw = gateway(Map.of())) {
            String speaker = "Bearer " + gw.speaker();
            assertEquals("\"replica\"", gw.get("/rpc/served_by", "Authorization", speaker, V2, "api_v2").body());
            assertEquals("\"replica\"", gw.send("POST", "/rpc/served_by", "{}", "Authorization", speaker,
                    "Content-Type", "application/json", "Content-Profile", "api_v2").body(), "a STABLE function called by POST");
            assertEquals("\"primary\"", gw.send("POST", "/rpc/served_by_volatile", "{}", "Authorization", speaker,
                    "Content-Type", "application/json", "Content-Profile", "api_v2").body());

            HttpResponse<String> written = write(gw, speaker, "R0");
            String lsn = written.headers().firstValue("Tmidb-Lsn").orElseThrow(() -> new AssertionError(written.headers().toString()));
            assertTrue(lsn.matches("[0-9A-F]+/[0-9A-F]+"), lsn);
            assertTrue(written.headers().allValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("tmidb_lsn=" + lsn + ";")
                    && c.contains("HttpOnly")), written.headers().toString());
            assertEquals(1, count("ext_key = 'R0'"), "the write is on the primary");
            JsonNode rows = Json.of(gw.get("/bike_where?ext_key=eq.R0", "Authorization", speaker, V2, "api_v2"));
            assertEquals("[{\"ext_key\":\"R0\",\"on_replica\":true}]", rows.toString(), "the writer reads its write, on the replica");
        }
    }

    @Test
    void aClientReadsItsWriteOnTheReplicaOnceItIsReplayed() throws Exception {
        try (GatewayFixture gw = gateway(Map.of("db-read-wait", "PT30S"))) {
            String writer = "Bearer " + gw.speaker();
            String other = "Bearer " + gw.token("tmi_speaker", null, Duration.ofMinutes(7));
            pauseReplay();
            try {
                String lsn = write(gw, writer, "R1").headers().firstValue("Tmidb-Lsn").orElseThrow();
                assertEquals("[]", gw.get("/bike_where?ext_key=eq.R1", "Authorization", other, V2, "api_v2").body(),
                        "a client that did not write reads the replica as it is, without waiting");
                resumeReplaySoon();
                assertEquals("[{\"ext_key\":\"R1\",\"on_replica\":true}]",
                        gw.get("/bike_where?ext_key=eq.R1", "Authorization", writer, V2, "api_v2").body(),
                        "the writer's token: its read waited for the replica");

                pauseReplay();
                String second = write(gw, writer, "R2").headers().firstValue("Tmidb-Lsn").orElseThrow();
                resumeReplaySoon();
                assertEquals("[{\"ext_key\":\"R2\",\"on_replica\":true}]",
                        gw.get("/bike_where?ext_key=eq.R2", "Authorization", other, V2, "api_v2", "Tmidb-Lsn", second).body(),
                        "any client that sends the position back");

                pauseReplay();
                String third = write(gw, writer, "R3").headers().firstValue("Tmidb-Lsn").orElseThrow();
                resumeReplaySoon();
                assertEquals("[{\"ext_key\":\"R3\",\"on_replica\":true}]",
                        gw.get("/bike_where?ext_key=eq.R3", "Authorization", other, V2, "api_v2", "Cookie", "tmidb_lsn=" + third).body(),
                        "a browser, by the cookie");
            } finally {
                resumeReplay();
            }
        }
    }

    @Test
    void aReadFallsBackToThePrimaryWhenTheReplicaStaysBehind() throws Exception {
        try (GatewayFixture gw = gateway(Map.of("db-read-wait", "PT0.2S"))) {
            String writer = "Bearer " + gw.speaker();
            pauseReplay();
            try {
                write(gw, writer, "R4");
                assertEquals("[{\"ext_key\":\"R4\",\"on_replica\":false}]",
                        gw.get("/bike_where?ext_key=eq.R4", "Authorization", writer, V2, "api_v2").body());
                String other = "Bearer " + gw.token("tmi_speaker", null, Duration.ofMinutes(7));
                assertEquals("\"replica\"", gw.get("/rpc/served_by", "Authorization", other, V2, "api_v2", "Tmidb-Lsn", "0/1").body(),
                        "a read that needs no more than the replica replayed stays on it");
            } finally {
                resumeReplay();
            }
            assertError(gw.get("/bike_where", "Authorization", writer, V2, "api_v2", "Tmidb-Lsn", "yesterday"), 400, "PGRST100");
        }
    }

    @Test
    void aRelationTheReplicaHasNotReplayedYetIsReadOnThePrimary() throws Exception {
        try (GatewayFixture gw = gateway(Map.of())) {
            String speaker = "Bearer " + gw.speaker();
            pauseReplay();
            try {
                try (Connection c = db.connect(); Statement st = c.createStatement()) {
                    st.execute("CREATE VIEW api_v2.bike_late AS SELECT pg_is_in_recovery() AS on_replica");
                    st.execute("GRANT SELECT ON api_v2.bike_late TO tmi_speaker");
                    st.execute("NOTIFY pgrst, 'reload schema'");
                }
                // the gateway's schema cache, read from the primary, knows the view once it reloaded
                HttpResponse<String> r = gw.get("/bike_late", "Authorization", speaker, V2, "api_v2");
                for (long deadline = System.nanoTime() + 20_000_000_000L; r.statusCode() == 404 && System.nanoTime() < deadline; ) {
                    Thread.sleep(100);
                    r = gw.get("/bike_late", "Authorization", speaker, V2, "api_v2");
                }
                assertEquals(200, r.statusCode(), r::body);
                assertEquals("[{\"on_replica\":false}]", r.body(),
                        "the replica lacks the view: the read is answered by the primary, not refused");
                assertEquals("\"replica\"", gw.get("/rpc/served_by", "Authorization", speaker, V2, "api_v2").body(),
                        "other reads stay on the replica");
            } finally {
                resumeReplay();
            }
        }
    }

    @Test
    void aReplicaThatCannotBeReachedLeavesReadsToThePrimary() throws Exception {
        int nobody;
        try (ServerSocket s = new ServerSocket(0)) {
            nobody = s.getLocalPort();
        }
        try (GatewayFixture gw = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db,
                Map.of("db-read-urls", "jdbc:postgresql://127.0.0.1:" + nobody + "/" + db.name()))), db)) {
            String speaker = "Bearer " + gw.speaker();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = gw.get("/rpc/served_by", "Authorization", speaker, V2, "api_v2");
                assertEquals(200, r.statusCode(), r::body);
                assertEquals("\"primary\"", r.body());
            }
        }
    }

    private static HttpResponse<String> write(GatewayFixture gw, String token, String extKey) {
        HttpResponse<String> r = gw.send("POST", "/bike", "{\"name\": \"Replica " + extKey + "\", \"ext_key\": \"" + extKey + "\"}",
                "Authorization", token, "Content-Type", "application/json", "Content-Profile", "api_v2");
        assertEquals(201, r.statusCode(), r::body);
        return r;
    }

    private static long count(String condition) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM tmi.target WHERE " + condition)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void onReplica(String sql) throws SQLException {
        try (Connection c = replica.cluster().connect(db.name(), TestDatabase.TEST_APP_NAME); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void pauseReplay() throws SQLException {
        onReplica("SELECT pg_wal_replay_pause()");
    }

    private static void resumeReplay() throws SQLException {
        onReplica("SELECT pg_wal_replay_resume()");
    }

    /** Resumes the replica's replay from another thread a moment from now, while the test's read waits for it. */
    private static void resumeReplaySoon() {
        CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(300);
                resumeReplay();
            } catch (InterruptedException | SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
