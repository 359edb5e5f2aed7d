// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerLogin;
import io.tmidb.worker.WorkerSettings;
import io.tmidb.worker.host.PreviewDesk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static io.tmidb.worker.connector.ConnectorTesting.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * tmi.test_connector: tmidb-worker fetches the connector once with the scheduled runs' code and
 * limits and answers with the document and its rule's preview; nothing lands in raw_bucket and the
 * connector's run state stays as it was, also for a fetch that fails, whose message is the answer.
 */
@TmidbTest
class TestFetchIT {
    private static final String FEED = "{\"stations\": [{\"id\": \"s1\", \"name\": \"Quay\", \"n\": 4}]}";
    private static final String RULE = """
            {"kind": "station", "iterate": "$.data.stations[*]", "key": "$.id", "name": "$.name",
             "fields": {"bikes": {"path": "$.n", "type": "integer"}}}""";
    /** The run state a test fetch must leave alone. */
    private static final String RUN_STATE = "SELECT concat_ws(' ', last_attempt, last_success, last_status, last_error,"
            + " consecutive_failures, next_run, etag, last_modified) FROM tmi.ingest_connector WHERE name = ";

    private FeedServer feeds;

    @BeforeEach
    void serveFeeds() throws Exception {
        feeds = new FeedServer();
        feeds.route("/feed.json", FeedServer.ok("application/json", FEED));
    }

    @AfterEach
    void stopFeeds() {
        feeds.close();
    }

    @Test
    void answersTheDocumentAndItsPreviewWritingNothing(TestDatabase parent) throws Exception {
        TestDatabase db = parent.sibling("test_fetch", false);
        try (Worker w = start(db, "true"); Connection c = db.connect()) {
            addDisabled(c, "test-feed", feeds.url("/feed.json"));
            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.add_mapping('test-feed', CAST(? AS jsonb))")) {
                ps.setString(1, RULE);
                ps.execute();
            }
            String state = scalar(c, RUN_STATE + "'test-feed'");
            JsonNode answer = test(c, "test-feed");
            assertEquals("test-feed", answer.get("connector").asText());
            assertEquals(200, answer.get("http_status").asInt());
            assertEquals("application/json", answer.get("content_type").asText());
            assertEquals(JSON.readTree(FEED), answer.get("document").get("data"), answer.toString());
            assertEquals(feeds.url("/feed.json"), answer.get("document").get("url").asText());
            assertTrue(answer.get("has_rule").asBoolean());
            assertEquals("s1", answer.get("preview").get("targets").get(0).get("ext_key").asText(), answer.toString());
            assertEquals(1, feeds.requests("/feed.json").size(), "one fetch");
            assertFalse(feeds.requests("/feed.json").get(0).headers().containsKey("if-none-match"), "unconditional");

            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket"), "nothing stored");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.target"), "nothing mapped");
            assertEquals(state, scalar(c, RUN_STATE + "'test-feed'"), "the run state is as it was");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.preview_request"), "the answer went as it was read");
        }
    }

    @Test
    void aFailedFetchIsAnsweredWithItsMessage(TestDatabase parent) throws Exception {
        TestDatabase db = parent.sibling("test_fetch_failed", false);
        try (Connection c = db.connect()) {
            addDisabled(c, "test-missing", feeds.url("/missing.json"));
            addDisabled(c, "test-private", feeds.url("/feed.json"));
            String missing = scalar(c, RUN_STATE + "'test-missing'");
            String priv = scalar(c, RUN_STATE + "'test-private'");
            try (Worker w = start(db, "true")) {
                JsonNode answer = test(c, "test-missing");
                assertEquals(404, answer.get("http_status").asInt(), answer.toString());
                assertEquals("HTTP_STATUS", answer.get("error_code").asText());
                assertTrue(answer.get("error").asText().contains("404"), answer.toString());
                assertTrue(answer.path("document").isMissingNode(), answer.toString());
            }
            // the limits of scheduled runs: a loopback address is refused unless the worker allows it
            try (Worker w = start(db, "false")) {
                JsonNode answer = test(c, "test-private");
                assertEquals("refused " + feeds.url("/feed.json") + ": host 127.0.0.1 resolves to 127.0.0.1, a loopback address;"
                        + " set connector-allow-private=true, or list the address in connector-allowed-addresses, to allow it",
                        answer.get("error").asText());
                assertEquals("BLOCKED_ADDRESS", answer.get("error_code").asText());
                assertTrue(feeds.requests("/feed.json").isEmpty(), "refused before connecting");
            }
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket"), "nothing stored");
            assertEquals(missing, scalar(c, RUN_STATE + "'test-missing'"), "the run state is as it was");
            assertEquals(priv, scalar(c, RUN_STATE + "'test-private'"), "the run state is as it was");

            try (Worker w = start(db, "true")) {
                ServerErrorMessage unknown = assertFails(c, "42704", "SELECT tmi.test_connector('no-such-connector')");
                assertEquals("connector \"no-such-connector\" does not exist", unknown.getMessage());
                assertTrue(unknown.getHint().contains("tmi.add_connector"), unknown.getHint());
            }
        }
    }

    /** The scheduler and the desk, as tmidb-worker runs them. */
    private static Worker start(TestDatabase db, String allowPrivate) throws Exception {
        Worker w = Worker.start(new WorkerContext(WorkerLogin.of(db), WorkerSettings.of(Map.of("connector-allow-private", allowPrivate,
                "connector-connect-timeout", "PT1S", "connector-read-timeout", "PT2S", "sweep-interval", "PT0.2S"))),
                List.of(new ConnectorScheduler(), new PreviewDesk()));
        ConnectorTesting.await(Duration.ofSeconds(30), "the desk's tickets", () -> {
            try (Connection c = db.connect()) {
                return scalarLong(c, "SELECT count(*) FROM tmi.preview_tickets()") > 0 ? true : null;
            }
        });
        return w;
    }

    /** A connector the scheduler never runs: disabled in the transaction that adds it. */
    private static void addDisabled(Connection c, String name, String url) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_connector('" + name + "', '" + url + "', '1 minute')");
            st.execute("SELECT tmi.set_connector('" + name + "', enabled => false)");
            c.commit();
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static JsonNode test(Connection c, String name) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.test_connector(?)::text")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    fail("no answer");
                }
                return JSON.readTree(rs.getString(1));
            }
        }
    }
}
