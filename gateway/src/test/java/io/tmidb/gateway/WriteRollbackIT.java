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
    private static WriteFixture w;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        w = WriteFixture.start(db);
    }

    @AfterAll
    static void stop() {
        w.close();
    }


    private static void insertNotes(int first, int count, String tag) {
        w.execute("INSERT INTO api_v2.note (id, body, tag) SELECT i, 'n' || i, '" + tag + "' FROM generate_series("
                + first + ", " + (first + count - 1) + ") i");
    }

    @Test
    void aMutationWhoseSingularResponseFailsChangesNothing() {
        insertNotes(100, 2, "single");
        List<String> before = w.notes("tag = 'single'");
        String object = Negotiation.OBJECT;

        JsonNode e = assertError(w.send("PATCH", "/note?tag=eq.single", "{\"body\":\"changed\"}", "Accept", object), 406, "PGRST116");
        assertEquals("The result contains 2 rows", e.path("details").asText());
        assertEquals(before, w.notes("tag = 'single'"));
        assertError(w.send("PATCH", "/note?tag=eq.single", "{\"body\":\"changed\"}", "Accept", object, "Prefer", "return=representation"),
                406, "PGRST116");
        assertEquals(before, w.notes("tag = 'single'"));

        assertError(w.send("DELETE", "/note?tag=eq.single", null, "Accept", object), 406, "PGRST116");
        assertEquals(before, w.notes("tag = 'single'"));

        assertError(w.send("POST", "/note", "[{\"id\":102,\"body\":\"a\"},{\"id\":103,\"body\":\"b\"}]", "Accept", object), 406, "PGRST116");
        assertEquals(List.of(), w.notes("id IN (102, 103)"));

        // a view written through INSTEAD OF triggers rolls back the same way
        w.execute("SELECT tmi.add_target('Bike R1', 'bike', '{\"battery\": 10}', 'R1'),"
                + " tmi.add_target('Bike R2', 'bike', '{\"battery\": 11}', 'R2')");
        assertError(w.send("PATCH", "/bike?ext_key=in.(R1,R2)", "{\"battery\":99}", "Accept", object), 406, "PGRST116");
        assertEquals(List.of("10", "11"), w.column("SELECT meta ->> 'battery' FROM tmi.target WHERE ext_key IN ('R1', 'R2') ORDER BY ext_key"));

        // exactly one row: written and answered as an object
        HttpResponse<String> one = w.send("PATCH", "/note?id=eq.100", "{\"body\":\"one\"}", "Accept", object, "Prefer", "return=representation");
        assertEquals(200, one.statusCode(), one.body());
        assertEquals("one", Json.of(one).path("body").asText());
        assertEquals(List.of("100:one:gateway"), w.notes("id = 100"));
    }

    @Test
    void aFunctionCallWhoseSingularResponseFailsChangesNothing() {
        assertError(w.send("POST", "/rpc/log_twice", "{\"msg\":\"twice\"}", "Accept", Negotiation.OBJECT), 406, "PGRST116");
        assertEquals(List.of(), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'twice'"));
    }

    @Test
    void aRangeErrorAfterAWritingCallChangesNothing() {
        // PostgREST works out this 416 after committing; here every error answer means nothing was written
        assertError(w.send("POST", "/rpc/log_call?offset=5", "{\"msg\":\"out of range\"}", "Prefer", "count=exact"), 416, "PGRST103");
        assertEquals(List.of(), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'out of range'"));
    }

    @Test
    void limitAndOrderPickTheRowsOfPatchAndDelete() {
        insertNotes(200, 4, "window");
        HttpResponse<String> r = w.send("DELETE", "/note?tag=eq.window&order=id.desc&limit=1", null);
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("200:n200:gateway", "201:n201:gateway", "202:n202:gateway"), w.notes("tag = 'window'"));

        r = w.send("PATCH", "/note?tag=eq.window&order=id&limit=2&offset=1", "{\"body\":\"x\"}", "Prefer", "return=representation");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, Json.of(r).size());
        assertEquals(List.of("200:n200:gateway", "201:x:gateway", "202:x:gateway"), w.notes("tag = 'window'"));

        // the returned rows follow order=
        r = w.send("PATCH", "/note?tag=eq.window&order=id.desc", "{\"tag\":\"window2\"}", "Prefer", "return=representation");
        assertEquals(List.of(202, 201, 200), ids(Json.of(r)));

        // on a view over tmi.target, rows are picked by the key it shows (target_id)
        w.execute("SELECT tmi.add_target('Bike L' || i, 'bike', jsonb_build_object('battery', i, 'model', 'limited'), 'L' || i)"
                + " FROM generate_series(1, 3) i");
        r = w.send("DELETE", "/bike?model=eq.limited&order=battery.asc&limit=1", null);
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("L2", "L3"), w.column("SELECT ext_key FROM tmi.target WHERE meta ->> 'model' = 'limited' ORDER BY ext_key"));
        r = w.send("PATCH", "/bike?model=eq.limited&order=battery.desc&limit=1", "{\"battery\":30}");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("2", "30"), w.column("SELECT meta ->> 'battery' FROM tmi.target WHERE meta ->> 'model' = 'limited' ORDER BY ext_key"));

        // a view that shows no key cannot name rows: PostgREST's error (no ctid), nothing changed
        insertNotes(210, 2, "nokey");
        JsonNode e = assertError(w.send("PATCH", "/note_text?tag=eq.nokey&limit=1", "{\"body\":\"y\"}"), 400, "42703");
        assertTrue(e.path("message").asText().contains("ctid"), e::toString);
        assertEquals(List.of("210:n210:gateway", "211:n211:gateway"), w.notes("tag = 'nokey'"));
        r = w.send("PATCH", "/note_text?tag=eq.nokey", "{\"body\":\"y\"}");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("210:y:gateway", "211:y:gateway"), w.notes("tag = 'nokey'"));
    }

    private static List<Integer> ids(JsonNode rows) {
        List<Integer> out = new ArrayList<>();
        rows.forEach(n -> out.add(n.path("id").asInt()));
        return out;
    }

    @Test
    void maxAffectedWithStrictHandlingRollsBack() {
        insertNotes(300, 3, "max");
        JsonNode e = assertError(w.send("PATCH", "/note?tag=eq.max", "{\"body\":\"m\"}", "Prefer", "handling=strict, max-affected=1"),
                400, "PGRST124");
        assertEquals("The query affects 3 rows", e.path("details").asText());
        assertEquals(List.of("300:n300:gateway", "301:n301:gateway", "302:n302:gateway"), w.notes("tag = 'max'"));
        // postgrest-js sends the two preferences as two headers
        assertError(w.send("DELETE", "/note?tag=eq.max", null, "Prefer", "handling=strict", "Prefer", "max-affected=2"), 400, "PGRST124");
        assertEquals(3, w.notes("tag = 'max'").size());

        HttpResponse<String> r = w.send("PATCH", "/note?tag=eq.max", "{\"body\":\"m\"}", "Prefer", "handling=strict, max-affected=3");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals("handling=strict, max-affected=3", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals(List.of("300:m:gateway", "301:m:gateway", "302:m:gateway"), w.notes("tag = 'max'"));

        // without handling=strict, max-affected is not applied (as in PostgREST)
        r = w.send("DELETE", "/note?tag=eq.max", null, "Prefer", "max-affected=1");
        assertEquals(204, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Preference-Applied").isEmpty(), r.headers()::toString);
        assertEquals(List.of(), w.notes("tag = 'max'"));

        // functions: rows returned count; a function returning one value cannot be limited
        assertError(w.send("POST", "/rpc/log_twice", "{\"msg\":\"max\"}", "Prefer", "handling=strict, max-affected=1"), 400, "PGRST124");
        assertError(w.send("POST", "/rpc/log_one", "{\"msg\":\"max\"}", "Prefer", "handling=strict, max-affected=1"), 400, "PGRST128");
        assertEquals(List.of(), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'max'"));

        // handling=strict refuses preferences it does not know
        JsonNode bad = assertError(w.send("DELETE", "/note?tag=eq.max", null, "Prefer", "handling=strict, nonsense=1"), 400, "PGRST122");
        assertEquals("Invalid preferences: nonsense=1", bad.path("details").asText());
    }

    @Test
    void countExactOnRpcRunsTheFunctionOnce() {
        HttpResponse<String> r = w.send("POST", "/rpc/log_call", "{\"msg\":\"counted\"}", "Prefer", "count=exact");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("0-0/1", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals("count=exact", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals("counted", Json.of(r).get(0).path("msg").asText());
        assertEquals(List.of("counted"), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'counted'"));

        r = w.send("POST", "/rpc/log_twice?limit=1", "{\"msg\":\"counted twice\"}", "Prefer", "count=exact");
        assertEquals(206, r.statusCode(), r.body());
        assertEquals("0-0/2", r.headers().firstValue("Content-Range").orElseThrow());
        assertEquals(2, w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'counted twice'").size());
    }
}
