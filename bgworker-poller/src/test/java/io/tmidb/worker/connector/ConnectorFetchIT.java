// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.Sql;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static io.tmidb.worker.connector.ConnectorTesting.await;
import static io.tmidb.worker.connector.ConnectorTesting.json;
import static io.tmidb.worker.connector.ConnectorTesting.payloads;
import static io.tmidb.worker.connector.ConnectorTesting.rawCount;
import static io.tmidb.worker.connector.ConnectorTesting.startWorker;
import static io.tmidb.worker.connector.ConnectorTesting.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connectors that work: what lands in raw_bucket, what is sent, what a 304 does, what stays secret. */
@TmidbTest
class ConnectorFetchIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static FeedServer feeds;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
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
    void jsonFeedLandsWithItsMetadataAndTheConfiguredHeaders(TestDatabase db) throws Exception {
        feeds.route("/stations.json", FeedServer.ok("application/json; charset=utf-8", "{\"stations\": [{\"id\": \"B1\", \"bikes\": 4}]}"));
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            long id = Sql.scalarLong(c, "SELECT tmi.add_connector('stations', '" + feeds.url("/stations.json") + "', '1 hour', 'json',"
                    + " '{\"headers\": {\"X-Api-Key\": \"k-123\"}, \"auth\": {\"bearer\": \"tok-456\"}}')");
            JsonNode doc = await(WAIT, "the document", () -> payloads(c, "stations").stream().findFirst().orElse(null));
            assertEquals(id, doc.get("connector_id").asLong());
            assertEquals("stations", doc.get("connector").asText());
            assertEquals(feeds.url("/stations.json"), doc.get("url").asText());
            assertEquals(200, doc.get("http_status").asInt());
            assertEquals("application/json; charset=utf-8", doc.get("content_type").asText());
            assertTrue(doc.get("fetched_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), doc.toString());
            assertEquals(json("{\"stations\": [{\"id\": \"B1\", \"bikes\": 4}]}"), doc.get("data"));
            assertEquals("pending 200 application/json; charset=utf-8 " + id + " true", Sql.scalar(c,
                    "SELECT status || ' ' || http_status || ' ' || content_type || ' ' || connector_id || ' '"
                            + " || (ts = (payload->>'fetched_at')::timestamptz) FROM tmi.raw_bucket WHERE source = 'stations'"));

            FeedServer.Request sent = feeds.requests("/stations.json").get(0);
            assertEquals("k-123", sent.headers().get("x-api-key"));
            assertEquals("Bearer tok-456", sent.headers().get("authorization"));
            assertTrue(sent.headers().get("user-agent").startsWith("tmiDB/"), sent.headers().toString());
            assertTrue(sent.headers().get("accept").startsWith("application/json"), sent.headers().toString());

            await(WAIT, "the run recorded", () -> state(c, "stations", "last_success"));
            assertEquals("200 0", state(c, "stations", "last_status || ' ' || consecutive_failures"));
            assertNull(state(c, "stations", "last_error"));
            assertEquals("true", state(c, "stations", "next_run > now() + interval '59 minutes'"));
        }
    }

    @Test
    void secretsAreMaskedInListingsAndStatus(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            c.createStatement().execute("SELECT tmi.add_connector('secretive', 'https://example.org/feed', '1 hour', 'json',"
                    + " '{\"headers\": {\"X-Api-Key\": \"hunter2\", \"Accept-Language\": \"ko\"}, \"auth\": {\"user\": \"u\", \"password\": \"pw-789\"}}')");
            c.createStatement().execute("SELECT tmi.set_connector('secretive', enabled => false)");
            assertEquals(json("{\"headers\": {\"X-Api-Key\": \"********\", \"Accept-Language\": \"********\"}, \"auth\": \"********\"}"),
                    json(state(c, "secretive", "options")));
            String listing = String.join("\n", Sql.column(c, "SELECT c::text FROM tmi.connectors c"));
            String status = String.join("\n", Sql.column(c, "SELECT s::text FROM tmi.status() s"));
            for (String secret : List.of("hunter2", "pw-789")) {
                assertFalse(listing.contains(secret), listing);
                assertFalse(status.contains(secret), status);
            }
            // speakers may see the masked listing, not the table
            try (Statement st = c.createStatement()) {
                st.execute("SET ROLE tmi_speaker");
                assertEquals("1", Sql.scalar(c, "SELECT count(*) FROM tmi.connectors WHERE name = 'secretive'"));
                Sql.assertState(c, "42501", "SELECT options FROM tmi.ingest_connector");
                st.execute("RESET ROLE");
            }
        }
    }

    @Test
    void csvHtmlAndTextBecomeJson(TestDatabase db) throws Exception {
        feeds.route("/docks.csv", FeedServer.ok("text/csv", "id,name,free\r\nD1,\"Main St, north\",3\r\nD2,City Hall,0\r\n"));
        feeds.route("/docks.html", FeedServer.ok("text/html; charset=utf-8", "<table class=docks>"
                + "<tr><td class=n>Main St</td><td class=f>3</td></tr><tr><td class=n>City Hall</td><td class=f>0</td></tr></table>"));
        feeds.route("/notice.txt", FeedServer.ok("text/plain; charset=utf-8", "Dock D2 closed\nuntil Friday"));
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('docks-csv', '" + feeds.url("/docks.csv") + "', '1 hour', 'csv')");
            c.createStatement().execute("SELECT tmi.add_connector('docks-html', '" + feeds.url("/docks.html") + "', '1 hour', 'html',"
                    + " '{\"select\": \"table.docks tr\", \"fields\": {\"name\": \"td.n\", \"free\": \"td.f\"}}')");
            c.createStatement().execute("SELECT tmi.add_connector('notice', '" + feeds.url("/notice.txt") + "', '1 hour', 'text')");
            assertEquals(json("[{\"id\": \"D1\", \"name\": \"Main St, north\", \"free\": \"3\"}, {\"id\": \"D2\", \"name\": \"City Hall\", \"free\": \"0\"}]"),
                    await(WAIT, "csv", () -> payloads(c, "docks-csv").stream().findFirst().orElse(null)).get("data"));
            assertEquals(json("[{\"name\": \"Main St\", \"free\": \"3\"}, {\"name\": \"City Hall\", \"free\": \"0\"}]"),
                    await(WAIT, "html", () -> payloads(c, "docks-html").stream().findFirst().orElse(null)).get("data"));
            assertEquals(json("{\"text\": \"Dock D2 closed\\nuntil Friday\"}"),
                    await(WAIT, "text", () -> payloads(c, "notice").stream().findFirst().orElse(null)).get("data"));
        }
    }

    @Test
    void aNotModifiedAnswerStoresNothingAndANewEtagStoresTheNewDocument(TestDatabase db) throws Exception {
        AtomicReference<String> etag = new AtomicReference<>("\"v1\"");
        AtomicReference<String> body = new AtomicReference<>("{\"v\": 1}");
        feeds.route("/etag.json", ex -> {
            String current = etag.get();
            ex.getResponseHeaders().set("ETag", current);
            if (current.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                FeedServer.send(ex, 304, null, "");
            } else {
                FeedServer.send(ex, 200, "application/json", body.get());
            }
        });
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('etagged', '" + feeds.url("/etag.json") + "', '1 second')");
            await(WAIT, "three requests", () -> feeds.requests("/etag.json").size() >= 3 ? true : null);
            await(WAIT, "the third run recorded", () -> "304".equals(state(c, "etagged", "last_status")) ? true : null);
            assertEquals(1, rawCount(c, "etagged"));
            assertEquals("\"v1\"", feeds.requests("/etag.json").get(1).headers().get("if-none-match"));
            assertEquals("0", state(c, "etagged", "consecutive_failures"));

            body.set("{\"v\": 2}");
            etag.set("\"v2\"");
            await(WAIT, "the changed document", () -> rawCount(c, "etagged") == 2 ? true : null);
            int seen = feeds.requests("/etag.json").size();
            await(WAIT, "two more requests", () -> feeds.requests("/etag.json").size() >= seen + 2 ? true : null);
            List<JsonNode> docs = payloads(c, "etagged");
            assertEquals(2, docs.size(), docs.toString());
            assertEquals(List.of(1, 2), docs.stream().map(d -> d.at("/data/v").asInt()).toList());
        }
    }

    @Test
    void lastModifiedIsSentBackAsIfModifiedSince(TestDatabase db) throws Exception {
        String stamp = "Wed, 25 Nov 2026 10:00:00 GMT";
        feeds.route("/dated.json", ex -> {
            ex.getResponseHeaders().set("Last-Modified", stamp);
            if (stamp.equals(ex.getRequestHeaders().getFirst("If-Modified-Since"))) {
                FeedServer.send(ex, 304, null, "");
            } else {
                FeedServer.send(ex, 200, "application/json", "{\"dated\": true}");
            }
        });
        try (Connection c = db.connect(); Worker w = startWorker(db, Map.of())) {
            c.createStatement().execute("SELECT tmi.add_connector('dated', '" + feeds.url("/dated.json") + "', '1 second')");
            await(WAIT, "a 304", () -> "304".equals(state(c, "dated", "last_status")) ? true : null);
            assertEquals(stamp, feeds.requests("/dated.json").get(1).headers().get("if-modified-since"));
            assertEquals(1, rawCount(c, "dated"));
        }
    }
}
