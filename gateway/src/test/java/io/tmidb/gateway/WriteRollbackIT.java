// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Writes that mean what they say, as in PostgREST: an error found after the statement (one object
 * asked for, max-affected) rolls the write back; limit and order pick the rows PATCH and DELETE
 * affect; {@code count=exact} does not run a function twice. Each test checks the database after.
 */
@TmidbTest
class WriteRollbackIT {
    private static GatewayFixture gw;
    private static TestDatabase db;
    private static String auth;

    @BeforeAll
    static void start(TestDatabase database) throws SQLException {
        db = database;
        gw = WriteFixture.start(db);
        auth = "Bearer " + gw.speaker();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers) {
        List<String> h = new ArrayList<>(List.of("Authorization", auth, "Content-Type", "application/json"));
        h.addAll(List.of(headers));
        return gw.send(method, path, body, h.toArray(String[]::new));
    }

    private static List<String> notes(String where) {
        return WriteFixture.column(db, "SELECT id || ':' || body FROM api_v2.note WHERE " + where + " ORDER BY id");
    }

    private static void insertNotes(int first, int count, String tag) {
        WriteFixture.execute(db, "INSERT INTO api_v2.note (id, body, tag) SELECT i, 'n' || i, '" + tag + "' FROM generate_series("
                + first + ", " + (first + count - 1) + ") i");
    }

    @Test
    void aMutationWhoseSingularResponseFailsChangesNothing() {
        insertNotes(100, 2, "single");
        List<String> before = notes("tag = 'single'");
        String object = Negotiation.OBJECT;

        JsonNode e = assertError(send("PATCH", "/note?tag=eq.single", "{\"body\":\"changed\"}", "Accept", object), 406, "PGRST116");
        assertEquals("The result contains 2 rows", e.path("details").asText());
        assertEquals(before, notes("tag = 'single'"));
        assertError(send("PATCH", "/note?tag=eq.single", "{\"body\":\"changed\"}", "Accept", object, "Prefer", "return=representation"),
                406, "PGRST116");
        assertEquals(before, notes("tag = 'single'"));

        assertError(send("DELETE", "/note?tag=eq.single", null, "Accept", object), 406, "PGRST116");
        assertEquals(before, notes("tag = 'single'"));

        assertError(send("POST", "/note", "[{\"id\":102,\"body\":\"a\"},{\"id\":103,\"body\":\"b\"}]", "Accept", object), 406, "PGRST116");
        assertEquals(List.of(), notes("id IN (102, 103)"));

        // a view written through INSTEAD OF triggers rolls back the same way
        WriteFixture.execute(db, "SELECT tmi.add_target('Bike R1', 'bike', '{\"battery\": 10}', 'R1'),"
                + " tmi.add_target('Bike R2', 'bike', '{\"battery\": 11}', 'R2')");
        assertError(send("PATCH", "/bike?ext_key=in.(R1,R2)", "{\"battery\":99}", "Accept", object), 406, "PGRST116");
        assertEquals(List.of("10", "11"), WriteFixture.column(db,
                "SELECT meta ->> 'battery' FROM tmi.target WHERE ext_key IN ('R1', 'R2') ORDER BY ext_key"));

        // exactly one row: written and answered as an object
        HttpResponse<String> one = send("PATCH", "/note?id=eq.100", "{\"body\":\"one\"}", "Accept", object, "Prefer", "return=representation");
        assertEquals(200, one.statusCode(), one.body());
        assertEquals("one", Json.of(one).path("body").asText());
        assertEquals(List.of("100:one"), notes("id = 100"));
    }

    @Test
    void aFunctionCallWhoseSingularResponseFailsChangesNothing() {
        assertError(send("POST", "/rpc/log_twice", "{\"msg\":\"twice\"}", "Accept", Negotiation.OBJECT), 406, "PGRST116");
        assertEquals(List.of(), WriteFixture.column(db, "SELECT msg FROM api_v2.call_log WHERE msg = 'twice'"));
    }

    @Test
    void limitAndOrderPickTheRowsOfPatchAndDelete() {
        insertNotes(200, 4, "window");
        HttpResponse<String> r = send("DELETE", "/note?tag=eq.window&order=id.desc&limit=1", null);
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("200:n200", "201:n201", "202:n202"), notes("tag = 'window'"));

        r = send("PATCH", "/note?tag=eq.window&order=id&limit=2&offset=1", "{\"body\":\"x\"}", "Prefer", "return=representation");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, Json.of(r).size());
        assertEquals(List.of("200:n200", "201:x", "202:x"), notes("tag = 'window'"));

        // the returned rows follow order=
        r = send("PATCH", "/note?tag=eq.window&order=id.desc", "{\"tag\":\"window2\"}", "Prefer", "return=representation");
        assertEquals(List.of(202, 201, 200), ids(Json.of(r)));

        // on a view over tmi.target, rows are picked by the key it shows (target_id)
        WriteFixture.execute(db, "SELECT tmi.add_target('Bike L' || i, 'bike', jsonb_build_object('battery', i, 'model', 'limited'), 'L' || i)"
                + " FROM generate_series(1, 3) i");
        r = send("DELETE", "/bike?model=eq.limited&order=battery.asc&limit=1", null);
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("L2", "L3"), WriteFixture.column(db, "SELECT ext_key FROM tmi.target WHERE meta ->> 'model' = 'limited' ORDER BY ext_key"));
        r = send("PATCH", "/bike?model=eq.limited&order=battery.desc&limit=1", "{\"battery\":30}");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("2", "30"), WriteFixture.column(db,
                "SELECT meta ->> 'battery' FROM tmi.target WHERE meta ->> 'model' = 'limited' ORDER BY ext_key"));

        // a view that shows no key cannot name rows: PostgREST's error (no ctid), nothing changed
        insertNotes(210, 2, "nokey");
        JsonNode e = assertError(send("PATCH", "/note_text?tag=eq.nokey&limit=1", "{\"body\":\"y\"}"), 400, "42703");
        assertTrue(e.path("message").asText().contains("ctid"), e::toString);
        assertEquals(List.of("210:n210", "211:n211"), notes("tag = 'nokey'"));
        r = send("PATCH", "/note_text?tag=eq.nokey", "{\"body\":\"y\"}");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("210:y", "211:y"), notes("tag = 'nokey'"));
    }

    private static List<Integer> ids(JsonNode rows) {
        List<Integer> out = new ArrayList<>();
        rows.forEach(n -> out.add(n.path("id").asInt()));
        return out;
    }

    @Test
    void maxAffectedWithStrictHandlingRollsBack() {
        insertNotes(300, 3, "max");
        JsonNode e = assertError(send("PATCH", "/note?tag=eq.max", "{\"body\":\"m\"}", "Prefer", "handling=strict, max-affected=1"),
                400, "PGRST124");
        assertEquals("The query affects 3 rows", e.path("details").asText());
        assertEquals(List.of("300:n300", "301:n301", "302:n302"), notes("tag = 'max'"));
        // postgrest-js sends the two preferences as two headers
        assertError(send("DELETE", "/note?tag=eq.max", null, "Prefer", "handling=strict", "Prefer", "max-affected=2"), 400, "PGRST124");
        assertEquals(3, notes("tag = 'max'").size());

        HttpResponse<String> r = send("PATCH", "/note?tag=eq.max", "{\"body\":\"m\"}", "Prefer", "handling=strict, max-affected=3");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("handling=strict, max-affected=3", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals(List.of("300:m", "301:m", "302:m"), notes("tag = 'max'"));

        // without handling=strict, max-affected is not applied (as in PostgREST)
        r = send("DELETE", "/note?tag=eq.max", null, "Prefer", "max-affected=1");
        assertEquals(204, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Preference-Applied").isEmpty(), r.headers()::toString);
        assertEquals(List.of(), notes("tag = 'max'"));

        // functions: rows returned count; a function returning one value cannot be limited
        assertError(send("POST", "/rpc/log_twice", "{\"msg\":\"max\"}", "Prefer", "handling=strict, max-affected=1"), 400, "PGRST124");
        assertError(send("POST", "/rpc/log_one", "{\"msg\":\"max\"}", "Prefer", "handling=strict, max-affected=1"), 400, "PGRST128");
        assertEquals(List.of(), WriteFixture.column(db, "SELECT msg FROM api_v2.call_log WHERE msg = 'max'"));

        // handling=strict refuses preferences it does not know
        JsonNode bad = assertError(send("DELETE", "/note?tag=eq.max", null, "Prefer", "handling=strict, nonsense=1"), 400, "PGRST122");
        assertEquals("Invalid preferences: nonsense=1", bad.path("details").asText());
    }

    @Test
    void countExactOnRpcRunsTheFunctionOnce() {
        HttpResponse<String> r = send("POST", "/rpc/log_call", "{\"msg\":\"counted\"}", "Prefer", "count=exact");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("0-0/1", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("count=exact", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals("counted", Json.of(r).get(0).path("msg").asText());
        assertEquals(List.of("counted"), WriteFixture.column(db, "SELECT msg FROM api_v2.call_log WHERE msg = 'counted'"));

        r = send("POST", "/rpc/log_twice?limit=1", "{\"msg\":\"counted twice\"}", "Prefer", "count=exact");
        assertEquals(206, r.statusCode(), r.body());
        assertEquals("0-0/2", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals(2, WriteFixture.column(db, "SELECT msg FROM api_v2.call_log WHERE msg = 'counted twice'").size());
    }
}
