// SPDX-License-Identifier: MIT
package io.tmidb.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tmictl connector list|test} run in-process against the test database and a local HTTP server. */
@TmidbTest
class ConnectorCommandIT {
    private static HttpServer server;
    private static final Map<String, String> BODIES = Map.of(
            "/feed.json", "{\"stations\": [{\"id\": \"B1\", \"bikes\": 4}]}",
            "/garbage.json", "{\"stations\": [garbage");
    private static final List<String> API_KEYS_SEEN = new ArrayList<>();

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.createContext("/", ConnectorCommandIT::answer);
        server.start();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
    }

    private static void answer(HttpExchange ex) throws IOException {
        synchronized (API_KEYS_SEEN) {
            API_KEYS_SEEN.add(ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("X-Api-Key"));
        }
        byte[] body = BODIES.getOrDefault(ex.getRequestURI().getPath(), "").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private static long requests(String path) {
        synchronized (API_KEYS_SEEN) {
            return API_KEYS_SEEN.stream().filter(s -> s.startsWith(path + " ")).count();
        }
    }

    private static String written(Connection c, String name) throws Exception {
        return Sql.scalar(c, "SELECT (SELECT count(*) FROM tmi.raw_bucket WHERE source = '" + name + "') || ' '"
                + " || coalesce(last_attempt::text, '-') || ' ' || coalesce(last_status::text, '-') || ' '"
                + " || coalesce(last_error, '-') || ' ' || next_run FROM tmi.ingest_connector WHERE name = '" + name + "'");
    }

    @Test
    void listShowsRunStateAndMasksSecrets(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            c.createStatement().execute("SELECT tmi.add_connector('listed', 'https://example.org/feed.json', '5 minutes', 'json',"
                    + " '{\"headers\": {\"X-Api-Key\": \"very-secret\"}}')");
            c.createStatement().execute("UPDATE tmi.ingest_connector SET last_status = 500, consecutive_failures = 2,"
                    + " last_error = 'HTTP 500 from https://example.org/feed.json', last_success = '2026-11-27 10:00:00Z'"
                    + " WHERE name = 'listed'");
        }
        Tmictl run = Tmictl.run(db, "connector", "list");
        assertEquals(ExitCodes.OK, run.exitCode(), run.err());
        assertTrue(run.out().startsWith("NAME "), run.out());
        String line = run.out().lines().filter(l -> l.startsWith("listed ")).findFirst().orElseThrow();
        assertTrue(line.matches("listed +yes +json +00:05:00 +2026-11-27 10:00:00Z +500 +2 +\\S+ \\S+ +https://example.org/feed.json"), line);
        assertTrue(run.out().contains("    options: {\"headers\": {\"X-Api-Key\": \"********\"}}"), run.out());
        assertTrue(run.out().contains("    last error: HTTP 500 from https://example.org/feed.json"), run.out());
        assertFalse(run.out().contains("very-secret"), run.out());
    }

    @Test
    void testFetchesOncePrintsTheRawDocumentAndWritesNothing(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            c.createStatement().execute("SELECT tmi.add_connector('previewed', '" + url("/feed.json") + "', '1 hour', 'json',"
                    + " '{\"headers\": {\"X-Api-Key\": \"k-42\"}}')");
            String before = written(c, "previewed");
            Tmictl run = Tmictl.run(db, "connector", "test", "previewed", "--allow-private");
            assertEquals(ExitCodes.OK, run.exitCode(), run.err());
            List<String> lines = run.out().lines().toList();
            assertEquals("connector previewed (id " + Sql.scalar(c, "SELECT connector_id FROM tmi.ingest_connector WHERE name = 'previewed'")
                    + "): GET " + url("/feed.json") + " -> HTTP 200, application/json", lines.get(0));
            assertEquals("raw document as it would be stored in tmi.raw_bucket (nothing was written):", lines.get(1));
            String doc = String.join("\n", lines.subList(2, lines.size()));
            assertTrue(doc.contains("\"connector\" : \"previewed\"") && doc.contains("\"http_status\" : 200")
                    && doc.contains("\"bikes\" : 4"), doc);
            assertTrue(doc.contains("no mapping rule for source \"previewed\""), doc);

            // with a rule, it also shows what the rule makes of the document
            c.createStatement().execute("SELECT tmi.add_mapping('previewed', '{\"iterate\": \"$.data.stations[*]\","
                    + " \"kind\": \"bike_station\", \"key\": \"$.id\", \"fields\": {\"bikes\": {\"path\": \"$.bikes\", \"type\": \"integer\"}}}')");
            Tmictl mapped = Tmictl.run(db, "connector", "test", "previewed", "--allow-private");
            assertEquals(ExitCodes.OK, mapped.exitCode(), mapped.err());
            String preview = mapped.out().substring(mapped.out().indexOf("what the mapping rule would make of it (nothing was written):"));
            assertTrue(preview.contains("\"kind\": \"bike_station\"") && preview.contains("\"ext_key\": \"B1\"")
                    && preview.contains("\"bikes\": 4"), preview);
            assertEquals(0, Sql.scalarLong(c, "SELECT count(*) FROM tmi.target"));
            assertEquals(before, written(c, "previewed"));
            assertTrue(before.startsWith("0 - - - "), before); // no document, no attempt, no status, no error
            synchronized (API_KEYS_SEEN) {
                assertTrue(API_KEYS_SEEN.contains("/feed.json k-42"), API_KEYS_SEEN.toString());
            }
        }
    }

    @Test
    void testReportsFailuresWithTheirReasonAndWritesNothing(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            c.createStatement().execute("SELECT tmi.add_connector('garbled', '" + url("/garbage.json") + "', '1 hour')");
            c.createStatement().execute("SELECT tmi.add_connector('guarded', '" + url("/feed.json") + "?guarded', '1 hour')");
            String garbledBefore = written(c, "garbled");
            Tmictl garbage = Tmictl.run(db, "connector", "test", "garbled", "--allow-private");
            assertEquals(ExitCodes.ERROR, garbage.exitCode(), garbage.out());
            assertTrue(garbage.err().startsWith("tmictl: error: connector garbled: the body is not valid JSON at line 1"), garbage.err());
            assertEquals(garbledBefore, written(c, "garbled"));

            long fetched = requests("/feed.json");
            Tmictl refused = Tmictl.run(db, "connector", "test", "guarded");
            assertEquals(ExitCodes.ERROR, refused.exitCode(), refused.out());
            assertTrue(refused.err().contains("a loopback address; set connector-allow-private=true"), refused.err());
            assertEquals(fetched, requests("/feed.json"), "refused before connecting");

            Tmictl unknown = Tmictl.run(db, "connector", "test", "no-such-connector");
            assertEquals(ExitCodes.USAGE, unknown.exitCode());
            assertEquals("tmictl: error: connector \"no-such-connector\" does not exist\ntmictl: hint: see tmictl connector list\n",
                    unknown.err());
            assertTrue(unknown.out().isEmpty());
        }
    }
}
