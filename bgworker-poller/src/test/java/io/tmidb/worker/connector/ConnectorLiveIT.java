// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tmidb.worker.connector.ConnectorTesting.await;
import static io.tmidb.worker.connector.ConnectorTesting.payloads;
import static io.tmidb.worker.connector.ConnectorTesting.rawCount;
import static io.tmidb.worker.connector.ConnectorTesting.startWorker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Registrations take effect within a second in a running worker whose sweep interval is 30 s:
 * only the LISTEN on tmi_connector can explain it.
 */
@TmidbTest
class ConnectorLiveIT {
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static FeedServer feeds;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
        feeds.route("/a.json", FeedServer.ok("application/json", "{\"feed\": \"a\"}"));
        feeds.route("/b.json", FeedServer.ok("application/json", "{\"feed\": \"b\"}"));
    }

    @AfterAll
    static void stopFeeds() {
        feeds.close();
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void addSetAndDropTakeEffectWithinASecond(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            Thread.sleep(300); // the worker is listening and has found nothing due
            long start = System.nanoTime();
            c.createStatement().execute("SELECT tmi.add_connector('live', '" + feeds.url("/a.json") + "', '1 hour')");
            await(SECOND, "the first document", () -> rawCount(c, "live") == 1 ? true : null);
            assertTrue(millisSince(start) < 1000);

            start = System.nanoTime();
            c.createStatement().execute("SELECT tmi.set_connector('live', url => '" + feeds.url("/b.json") + "')");
            await(SECOND, "the document of the new URL", () -> rawCount(c, "live") == 2 ? true : null);
            assertTrue(millisSince(start) < 1000);
            assertEquals("b", payloads(c, "live").get(1).at("/data/feed").asText());

            c.createStatement().execute("SELECT tmi.set_connector('live', enabled => false, every => '1 second')");
            Thread.sleep(1000);
            int requests = feeds.requests("/b.json").size();
            Thread.sleep(1500);
            assertEquals(requests, feeds.requests("/b.json").size(), "a disabled connector is not fetched");

            start = System.nanoTime();
            c.createStatement().execute("SELECT tmi.set_connector('live', enabled => true)");
            await(SECOND, "a fetch after enabling", () -> rawCount(c, "live") == 3 ? true : null);
            assertTrue(millisSince(start) < 1000);

            c.createStatement().execute("SELECT tmi.drop_connector('live')");
            Thread.sleep(1000);
            requests = feeds.requests("/b.json").size();
            Thread.sleep(1500);
            assertEquals(requests, feeds.requests("/b.json").size(), "a dropped connector is not fetched");
            // what it delivered stays, no longer linked to a connector
            assertEquals("3 0", Sql.scalar(c, "SELECT count(*) || ' ' || count(connector_id) FROM tmi.raw_bucket WHERE source = 'live'"));
        }
    }

    @Test
    void twoWorkersNeverFetchOneConnectorTwice(TestDatabase db) throws Exception {
        feeds.route("/shared.json", FeedServer.ok("application/json", "{\"shared\": true}"));
        try (Connection c = db.connect(); Worker first = startWorker(db, Map.of()); Worker second = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('shared', '" + feeds.url("/shared.json") + "', '1 second')");
            await(Duration.ofSeconds(10), "four runs", () -> rawCount(c, "shared") >= 4 ? true : null);
            c.createStatement().execute("SELECT tmi.set_connector('shared', enabled => false)");
            Thread.sleep(500); // a fetch under way when it was disabled is discarded, not stored
            long stored = rawCount(c, "shared");
            int fetched = feeds.requests("/shared.json").size();
            assertTrue(fetched == stored || fetched == stored + 1, fetched + " fetches, " + stored + " documents");
            // one claim per due time: consecutive fetches are an interval apart, never together
            List<String> fetchTimes = Sql.column(c, "SELECT ts FROM tmi.raw_bucket WHERE source = 'shared' ORDER BY ts");
            assertEquals(stored, fetchTimes.size());
            assertEquals("true", Sql.scalar(c, "SELECT coalesce(bool_and(gap >= interval '900 milliseconds'), true)::text FROM"
                    + " (SELECT ts - lag(ts) OVER (ORDER BY ts) AS gap FROM tmi.raw_bucket WHERE source = 'shared') g"
                    + " WHERE gap IS NOT NULL"));
        }
    }
}
