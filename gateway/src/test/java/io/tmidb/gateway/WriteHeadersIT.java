// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What PostgREST answers around the rows: Content-Range with counts on writes, count=planned and
 * estimated, HEAD on functions and listener endpoints, nulls=stripped, Preference-Applied.
 */
@TmidbTest
class WriteHeadersIT {
    private static WriteFixture w;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        w = WriteFixture.start(db);
        w.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80}', 'B1'),"
                + " tmi.add_target('Bike 2', 'bike', '{\"battery\": 20}', 'B2'), tmi.add_listener('alice'), tmi.subscribe('alice', 'bike')");
    }

    @AfterAll
    static void stop() {
        w.close();
    }


    private static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void writesTellTheRowsWrittenWhenCounted() {
        HttpResponse<String> r = w.send("POST", "/note", "[{\"id\":500,\"body\":\"a\"},{\"id\":501,\"body\":\"b\"}]", "Prefer", "count=exact");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("*/2", header(r, "Content-Range"));
        assertEquals("count=exact", header(r, "Preference-Applied"));
        r = w.send("POST", "/note", "{\"id\":502,\"body\":\"c\"}");
        assertEquals("*/*", header(r, "Content-Range"));
        assertEquals(null, header(r, "Preference-Applied"));

        r = w.send("PATCH", "/note?id=in.(500,501)", "{\"tag\":\"counted\"}", "Prefer", "count=exact");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("0-1/2", header(r, "Content-Range"));
        r = w.send("PATCH", "/note?id=in.(500,501)", "{\"tag\":\"counted\"}");
        assertEquals("0-1/*", header(r, "Content-Range"));
        r = w.send("PATCH", "/note?id=eq.0", "{\"tag\":\"none\"}", "Prefer", "count=exact");
        assertEquals("*/0", header(r, "Content-Range"));
        assertEquals(List.of("counted", "counted"), w.column("SELECT tag FROM api_v2.note WHERE id IN (500, 501)"));

        r = w.send("DELETE", "/note?id=in.(500,501,502)", null, "Prefer", "count=exact, return=representation");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("*/3", header(r, "Content-Range"));
        assertEquals("return=representation, count=exact", header(r, "Preference-Applied"));
        assertEquals(3, Json.of(r).size());
        assertEquals(List.of(), w.column("SELECT id FROM api_v2.note WHERE id IN (500, 501, 502)"));
    }

    @Test
    void plannedCountsComeFromThePlannerEstimatedOnesAreExact() {
        HttpResponse<String> r = w.send("GET", "/bike?limit=1&order=name", null, "Prefer", "count=planned");
        assertTrue(r.statusCode() == 200 || r.statusCode() == 206, r::body);
        assertTrue(header(r, "Content-Range").matches("0-0/[0-9]+"), header(r, "Content-Range"));
        assertEquals("count=planned", header(r, "Preference-Applied"));
        r = w.send("GET", "/bike?limit=1&order=name", null, "Prefer", "count=estimated");
        assertEquals(206, r.statusCode(), r.body());
        assertEquals("0-0/2", header(r, "Content-Range"));
        assertEquals("count=estimated", header(r, "Preference-Applied"));
        // a planned count does not run the function it counts
        r = w.send("POST", "/rpc/log_call", "{\"msg\":\"planned\"}", "Prefer", "count=planned");
        // the planner guesses 1000 rows for a set-returning function: partial content, as PostgREST answers
        assertEquals(206, r.statusCode(), r.body());
        assertTrue(header(r, "Content-Range").matches("0-0/[0-9]+"), header(r, "Content-Range"));
        assertEquals(List.of("planned"), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'planned'"));
    }

    @Test
    void headAnswersStatusAndHeadersWithoutBody() {
        HttpResponse<String> get = w.send("GET", "/rpc/low_battery?threshold=50", null, "Prefer", "count=exact");
        HttpResponse<String> head = w.send("HEAD", "/rpc/low_battery?threshold=50", null, "Prefer", "count=exact");
        assertEquals(200, get.statusCode(), get.body());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals("0-0/1", header(head, "Content-Range"));
        assertEquals(header(get, "Content-Range"), header(head, "Content-Range"));
        assertTrue(header(head, "Content-Type").startsWith("application/json"));
        // HEAD is read-only like GET: a function that writes is refused and writes nothing
        assertEquals(405, w.send("HEAD", "/rpc/log_call?msg=head", null).statusCode());
        assertEquals(List.of(), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'head'"));

        String alice = "Bearer " + w.gateway().token("tmi_listener", "alice", Duration.ofMinutes(5));
        HttpResponse<String> targets = w.gateway().send("HEAD", "/api/alice", null, "Authorization", alice);
        assertEquals(200, targets.statusCode());
        assertEquals("", targets.body());
        assertEquals("0-1/*", header(targets, "Content-Range"));
        HttpResponse<String> obs = w.gateway().send("HEAD", "/api/alice/bike/obs", null, "Authorization", alice);
        assertEquals(200, obs.statusCode());
        assertEquals("", obs.body());
        // an unknown listener answers as someone else's would: no hint that the name does not exist
        assertEquals(403, w.gateway().send("HEAD", "/api/nobody", null, "Authorization", alice).statusCode());
    }

    @Test
    void aFunctionReturningVoidAnswersNoContent() {
        w.execute("INSERT INTO api_v2.call_log (msg) VALUES ('void'), ('void')");
        HttpResponse<String> r = w.send("POST", "/rpc/forget", "{\"msg\":\"void\"}");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("", r.body());
        assertEquals(List.of(), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'void'"));
    }

    @Test
    void nullsStrippedDropsNullFields() {
        w.execute("INSERT INTO api_v2.note (id, body) VALUES (510, 'bare')");
        HttpResponse<String> r = w.send("GET", "/note?id=eq.510", null, "Accept", "application/vnd.pgrst.array+json;nulls=stripped");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(Json.parse("[{\"id\":510,\"body\":\"bare\",\"made_by\":\"gateway\"}]"), Json.of(r));
        assertTrue(header(r, "Content-Type").startsWith("application/vnd.pgrst.array+json;nulls=stripped"), header(r, "Content-Type"));
        r = w.send("GET", "/note?id=eq.510", null, "Accept", "application/vnd.pgrst.object+json;nulls=stripped");
        assertEquals(Json.parse("{\"id\":510,\"body\":\"bare\",\"made_by\":\"gateway\"}"), Json.of(r));
        r = w.send("GET", "/note?id=eq.510", null, "Accept", "application/vnd.pgrst.array+json");
        assertTrue(Json.of(r).get(0).has("tag"), r::body);

        r = w.send("PATCH", "/note?id=eq.510", "{\"body\":\"patched\"}", "Accept", "application/vnd.pgrst.array+json;nulls=stripped",
                "Prefer", "return=representation");
        assertEquals(Json.parse("[{\"id\":510,\"body\":\"patched\",\"made_by\":\"gateway\"}]"), Json.of(r));
        assertEquals(List.of("patched"), w.column("SELECT body FROM api_v2.note WHERE id = 510"));
    }

    @Test
    void preferenceAppliedListsWhatWasHonoured() {
        HttpResponse<String> r = w.send("POST", "/note", "{\"id\":520,\"body\":\"p\"}", "Prefer", "return=minimal");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("return=minimal", header(r, "Preference-Applied"));
        // return= applies to writes only, missing= to inserts and updates only
        r = w.send("GET", "/note?id=eq.520", null, "Prefer", "return=representation, missing=default");
        assertEquals(null, header(r, "Preference-Applied"));
        r = w.send("DELETE", "/note?id=eq.520", null, "Prefer", "missing=default, handling=lenient, return=minimal");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("return=minimal, handling=lenient", header(r, "Preference-Applied"));
        assertEquals(List.of(), w.column("SELECT id FROM api_v2.note WHERE id = 520"));
        assertError(w.send("GET", "/note", null, "Accept", "text/csv"), 406, "PGRST107");
    }
}
