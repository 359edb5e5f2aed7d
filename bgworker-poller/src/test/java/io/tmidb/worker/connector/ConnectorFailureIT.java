// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.tmidb.worker.connector.ConnectorTesting.await;
import static io.tmidb.worker.connector.ConnectorTesting.awaitError;
import static io.tmidb.worker.connector.ConnectorTesting.payloads;
import static io.tmidb.worker.connector.ConnectorTesting.rawCount;
import static io.tmidb.worker.connector.ConnectorTesting.startWorker;
import static io.tmidb.worker.connector.ConnectorTesting.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sources that misbehave: each failure is recorded on the connector, stores nothing and loses nothing. */
@TmidbTest
class ConnectorFailureIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static FeedServer feeds;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
        feeds.route("/good.json", FeedServer.ok("application/json", "{\"ok\": true}"));
        feeds.route("/garbage.json", FeedServer.ok("application/json", "{\"stations\": [1, 2,, <html>garbage"));
        feeds.route("/big.json", FeedServer.ok("application/json", "[" + "1,".repeat(40_000) + "1]"));
        feeds.route("/endless.json", ex -> {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0); // chunked: the size is only known while streaming
            byte[] chunk = "1,".repeat(4096).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try (OutputStream out = ex.getResponseBody()) {
                out.write('[');
                for (int i = 0; i < 100; i++) { // 800 KiB at most, well past the 64 KiB cap
                    out.write(chunk);
                }
                out.write('1');
                out.write(']');
            }
        });
        feeds.route("/slow.json", ex -> {
            Thread.sleep(3000); // past the 1 s read timeout
            FeedServer.send(ex, 200, "application/json", "{\"late\": true}");
        });
        feeds.route("/loop", ex -> {
            ex.getResponseHeaders().set("Location", "/loop");
            FeedServer.send(ex, 302, null, "");
        });
    }

    @AfterAll
    static void stopFeeds() {
        feeds.close();
    }

    @BeforeEach
    void onlyThisTestsConnectorsRun(TestDatabase db) throws Exception {
        ConnectorTesting.disableAllConnectors(db);
    }

    @Test
    void serverErrorsBackOffExponentiallyAndRecover(TestDatabase db) throws Exception {
        AtomicBoolean down = new AtomicBoolean(true);
        feeds.route("/flaky.json", ex -> {
            if (down.get()) {
                FeedServer.send(ex, 500, "text/plain", "database is down");
            } else {
                FeedServer.send(ex, 200, "application/json", "{\"back\": true}");
            }
        });
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('flaky', '" + feeds.url("/flaky.json") + "', '1 second')");
            await(WAIT, "three failures", () -> Integer.parseInt(state(c, "flaky", "consecutive_failures")) >= 3 ? true : null);
            assertEquals("HTTP 500 from " + feeds.url("/flaky.json") + ": database is down", state(c, "flaky", "last_error"));
            assertEquals("500", state(c, "flaky", "last_status"));
            assertNull(state(c, "flaky", "last_success"));
            // the third failure in a row waits 1 s × 2², plus at most a tenth of jitter
            double gap = Double.parseDouble(state(c, "flaky", "extract(epoch FROM next_run - last_attempt)"));
            assertTrue(gap >= 4.0 && gap < 5.0, "gap " + gap); // 4 s, up to 0.4 s of jitter, the fetch itself
            assertTrue(feeds.requests("/flaky.json").size() <= 4, "requests " + feeds.requests("/flaky.json").size());
            assertEquals("attention", Sql.scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'connectors'"));
            assertEquals(0, rawCount(c, "flaky"));

            down.set(false);
            c.createStatement().execute("SELECT tmi.set_connector('flaky', every => '1 hour')"); // runs at once
            await(WAIT, "recovery", () -> "0".equals(state(c, "flaky", "consecutive_failures")) ? true : null);
            assertNull(state(c, "flaky", "last_error"));
            assertEquals(1, rawCount(c, "flaky"));
        }
    }

    @Test
    void bodiesThatAreNotTheirFormatOrTooLargeOrTooSlowStoreNothing(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            Map<String, String> cases = Map.of(
                    "garbage", "/garbage.json",
                    "big", "/big.json",
                    "endless", "/endless.json",
                    "slow", "/slow.json",
                    "loop", "/loop");
            for (Map.Entry<String, String> e : cases.entrySet()) {
                c.createStatement().execute("SELECT tmi.add_connector('" + e.getKey() + "', '" + feeds.url(e.getValue()) + "', '1 hour')");
            }
            assertTrue(awaitError(c, "garbage").startsWith("the body is not valid JSON at line 1, column 20: Unexpected character (','"),
                    state(c, "garbage", "last_error"));
            assertTrue(awaitError(c, "big").contains("too large: the response declares 80003 bytes;"
                    + " the limit is connector-max-body-bytes = 65536"), state(c, "big", "last_error"));
            assertTrue(awaitError(c, "endless").contains("too large: the body passed 65536 bytes"), state(c, "endless", "last_error"));
            assertEquals("no complete response from " + feeds.url("/slow.json") + " within 1000 ms (connect limit 1000 ms);"
                    + " raise connector-read-timeout if the source is slow", awaitError(c, "slow"));
            assertEquals("more than 2 redirects, last from " + feeds.url("/loop")
                    + "; raise connector-max-redirects or point the connector at the final URL", awaitError(c, "loop"));
            assertEquals(3, feeds.requests("/loop").size());
            for (String name : cases.keySet()) {
                assertEquals(0, rawCount(c, name), name);
                assertEquals("1", state(c, name, "consecutive_failures"), name);
                assertNull(state(c, name, "last_success"), name);
            }
        }
    }

    @Test
    void aSourceTurningBadKeepsWhatWasStored(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('turning', '" + feeds.url("/good.json") + "', '1 hour')");
            await(WAIT, "the good document", () -> rawCount(c, "turning") == 1 ? true : null);
            c.createStatement().execute("SELECT tmi.set_connector('turning', url => '" + feeds.url("/garbage.json") + "')");
            assertTrue(awaitError(c, "turning").contains("not valid JSON"));
            c.createStatement().execute("SELECT tmi.set_connector('turning', url => '" + feeds.url("/good.json") + "')");
            await(WAIT, "the good document again", () -> rawCount(c, "turning") == 2 ? true : null);
            assertEquals(2, payloads(c, "turning").stream().filter(d -> d.at("/data/ok").asBoolean()).count());
            assertNull(state(c, "turning", "last_error"));
        }
    }
}
