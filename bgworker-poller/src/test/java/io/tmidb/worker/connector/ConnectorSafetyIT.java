// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static io.tmidb.worker.connector.ConnectorTesting.await;
import static io.tmidb.worker.connector.ConnectorTesting.awaitError;
import static io.tmidb.worker.connector.ConnectorTesting.payloads;
import static io.tmidb.worker.connector.ConnectorTesting.rawCount;
import static io.tmidb.worker.connector.ConnectorTesting.startWorker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address guard in the running worker. Only loopback addresses are used: 127.0.0.1 stands
 * for an allowed server, other loopback addresses for the private network a source must not
 * reach (the guard refuses them before any connection is made).
 */
@TmidbTest
class ConnectorSafetyIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static FeedServer feeds;
    /** Another origin (same address, another port), as a CDN a source redirects to would be. */
    private static FeedServer elsewhere;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
        elsewhere = new FeedServer();
        elsewhere.route("/feed.json", FeedServer.ok("application/json", "{\"mirrored\": true}"));
        feeds.route("/to-elsewhere", ex -> {
            ex.getResponseHeaders().set("Location", elsewhere.url("/feed.json"));
            FeedServer.send(ex, 302, null, "");
        });
        feeds.route("/feed.json", FeedServer.ok("application/json", "{\"safe\": true}"));
        feeds.route("/to-private", ex -> {
            ex.getResponseHeaders().set("Location", "http://127.0.0.2:" + feeds.port() + "/feed.json");
            FeedServer.send(ex, 302, null, "");
        });
        feeds.route("/to-metadata", ex -> {
            ex.getResponseHeaders().set("Location", "http://[::1]:" + feeds.port() + "/latest/meta-data/");
            FeedServer.send(ex, 307, null, "");
        });
        feeds.route("/to-feed", ex -> {
            ex.getResponseHeaders().set("Location", "feed.json");
            FeedServer.send(ex, 301, null, "");
        });
    }

    @AfterAll
    static void stopFeeds() {
        feeds.close();
        elsewhere.close();
    }

    @BeforeEach
    void onlyThisTestsConnectorsRun(TestDatabase db) throws Exception {
        ConnectorTesting.disableAllConnectors(db);
    }

    @Test
    void byDefaultLoopbackIsRefusedWithoutARequest(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of("connector-allow-private", "false"))) {
            c.createStatement().execute("SELECT tmi.add_connector('local', '" + feeds.url("/feed.json") + "?by-default', '1 hour')");
            String error = awaitError(c, "local");
            assertEquals("refused " + feeds.url("/feed.json") + "?by-default: host 127.0.0.1 resolves to 127.0.0.1, a loopback address;"
                    + " set connector-allow-private=true, or list the address in connector-allowed-addresses, to allow it", error);
            assertEquals(0, rawCount(c, "local"));
            assertTrue(feeds.requests("/feed.json").isEmpty(), "the guard refuses before connecting");
        }
    }

    @Test
    void redirectsAreCheckedHopByHop(TestDatabase db) throws Exception {
        // 127.0.0.1 is allowed explicitly, as an intranet server would be; nothing else private is
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of("connector-allow-private", "false",
                "connector-allowed-addresses", "127.0.0.1"))) {
            c.createStatement().execute("SELECT tmi.add_connector('hop-ok', '" + feeds.url("/to-feed") + "', '1 hour')");
            c.createStatement().execute("SELECT tmi.add_connector('hop-private', '" + feeds.url("/to-private") + "', '1 hour')");
            c.createStatement().execute("SELECT tmi.add_connector('hop-metadata', '" + feeds.url("/to-metadata") + "', '1 hour')");
            assertEquals(feeds.url("/feed.json"),
                    await(WAIT, "the redirected document", () -> payloads(c, "hop-ok").stream().findFirst().orElse(null)).get("url").asText());
            assertTrue(awaitError(c, "hop-private").startsWith("refused http://127.0.0.2:" + feeds.port()
                    + "/feed.json: host 127.0.0.2 resolves to 127.0.0.2, a loopback address"), "hop-private");
            assertTrue(awaitError(c, "hop-metadata").startsWith("refused http://[::1]:" + feeds.port()
                    + "/latest/meta-data/: host [::1] resolves to 0:0:0:0:0:0:0:1, a loopback address"), "hop-metadata");
            assertEquals(0, rawCount(c, "hop-private"));
            assertEquals(0, rawCount(c, "hop-metadata"));
            assertNull(ConnectorTesting.state(c, "hop-ok", "last_error"));
        }
    }

    @Test
    void headersAndCredentialsStayWithTheConnectorsOrigin(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('mirrored', '" + feeds.url("/to-elsewhere") + "', '1 hour', 'json',"
                    + " '{\"headers\": {\"X-Api-Key\": \"k-1\"}, \"auth\": {\"user\": \"u\", \"password\": \"p\"}}')");
            await(WAIT, "the mirrored document", () -> rawCount(c, "mirrored") == 1 ? true : null);
            Map<String, String> first = feeds.requests("/to-elsewhere").get(0).headers();
            assertEquals("k-1", first.get("x-api-key"));
            assertEquals("Basic dTpw", first.get("authorization"));
            Map<String, String> redirected = elsewhere.requests("/feed.json").get(0).headers();
            assertNull(redirected.get("x-api-key"), redirected.toString());
            assertNull(redirected.get("authorization"), redirected.toString());
            assertTrue(redirected.get("user-agent").startsWith("tmiDB/"), redirected.toString());
        }
    }
}
