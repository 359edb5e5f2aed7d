// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.List;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upserts as PostgREST defines them: {@code Prefer: resolution=merge-duplicates|ignore-duplicates}
 * on the primary key or {@code on_conflict} columns, PUT of the row the URL names, and
 * {@code Prefer: missing=default}. Each test checks status, headers, body and the rows left.
 */
@TmidbTest
class UpsertIT {
    private static WriteFixture w;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        w = WriteFixture.start(db);
    }

    @AfterAll
    static void stop() {
        w.close();
    }


    @Test
    void mergeDuplicatesUpdatesRowsWithTheSameKey() {
        w.execute("INSERT INTO api_v2.note (id, body) VALUES (400, 'old')");
        HttpResponse<String> r = w.send("POST", "/note", "[{\"id\":400,\"body\":\"merged\"},{\"id\":401,\"body\":\"new\"}]",
                "Prefer", "resolution=merge-duplicates, return=representation");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("resolution=merge-duplicates, return=representation", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals(2, Json.of(r).size());
        assertEquals(List.of("400:merged:gateway", "401:new:gateway"), w.notes("id IN (400, 401)"));

        // only updates: 200, as PostgREST answers
        r = w.send("POST", "/note", "{\"id\":400,\"body\":\"again\"}", "Prefer", "resolution=merge-duplicates");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("", r.body());
        assertEquals(List.of("400:again:gateway"), w.notes("id = 400"));
    }

    @Test
    void ignoreDuplicatesKeepsTheRowsThatExist() {
        w.execute("INSERT INTO api_v2.note (id, body) VALUES (410, 'kept')");
        HttpResponse<String> r = w.send("POST", "/note", "[{\"id\":410,\"body\":\"lost\"},{\"id\":411,\"body\":\"added\"}]",
                "Prefer", "resolution=ignore-duplicates, return=representation");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("resolution=ignore-duplicates, return=representation", r.headers().firstValue("Preference-Applied").orElseThrow());
        JsonNode rows = Json.of(r);
        assertEquals(1, rows.size(), r.body());
        assertEquals(411, rows.get(0).path("id").asInt());
        assertEquals(List.of("410:kept:gateway", "411:added:gateway"), w.notes("id IN (410, 411)"));
    }

    @Test
    void onConflictNamesTheUniqueColumns() {
        w.execute("INSERT INTO api_v2.note (id, code, body) VALUES (420, 'c420', 'orig')");
        HttpResponse<String> r = w.send("POST", "/note?on_conflict=code", "{\"id\":420,\"code\":\"c420\",\"body\":\"by code\"}",
                "Prefer", "resolution=merge-duplicates");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("420:by code:gateway"), w.notes("id = 420"));

        // without a resolution, on_conflict does nothing: the insert conflicts
        assertError(w.send("POST", "/note?on_conflict=code", "{\"id\":421,\"code\":\"c420\",\"body\":\"dup\"}"), 409, "23505");
        assertEquals(List.of(), w.notes("id = 421"));
        assertError(w.send("POST", "/note?on_conflict=nope", "{\"id\":422,\"body\":\"x\"}", "Prefer", "resolution=merge-duplicates"),
                400, "42703");
        // a relation without key and no on_conflict: the preference does not apply, a plain insert
        r = w.send("POST", "/call_log", "{\"msg\":\"no key\"}", "Prefer", "resolution=merge-duplicates");
        assertEquals(201, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Preference-Applied").isEmpty(), r.headers()::toString);
        assertEquals(List.of("no key"), w.column("SELECT msg FROM api_v2.call_log WHERE msg = 'no key'"));
    }

    @Test
    void putInsertsOrReplacesTheRowTheUrlNames() {
        HttpResponse<String> r = w.send("PUT", "/note?id=eq.430", "{\"id\":430,\"body\":\"put\"}", "Prefer", "return=representation");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("put", Json.of(r).get(0).path("body").asText());
        assertEquals(List.of("430:put:gateway"), w.notes("id = 430"));

        r = w.send("PUT", "/note?id=eq.430", "{\"id\":430,\"body\":\"replaced\",\"made_by\":\"me\"}", "Prefer", "return=representation");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(List.of("430:replaced:me"), w.notes("id = 430"));
        r = w.send("PUT", "/note?id=eq.430", "{\"id\":430,\"body\":\"minimal\",\"made_by\":\"me\"}");
        assertEquals(204, r.statusCode(), r.body());
        assertEquals(List.of("430:minimal:me"), w.notes("id = 430"));

        assertError(w.send("PUT", "/note?id=eq.431", "{\"id\":432,\"body\":\"mismatch\"}"), 400, "PGRST115");
        assertEquals(List.of(), w.notes("id IN (431, 432)"));
        assertError(w.send("PUT", "/note?body=eq.x", "{\"id\":433,\"body\":\"x\"}"), 405, "PGRST105");
        assertError(w.send("PUT", "/note?id=gt.1", "{\"id\":433,\"body\":\"x\"}"), 405, "PGRST105");
        assertError(w.send("PUT", "/note?id=eq.433&limit=1", "{\"id\":433,\"body\":\"x\"}"), 400, "PGRST114");
        assertError(w.send("PUT", "/call_log?msg=eq.x", "{\"msg\":\"x\"}"), 405, "PGRST105");
        assertEquals(List.of(), w.notes("id = 433"));
    }

    @Test
    void upsertOnAViewWrittenByTriggersIsRefusedByPostgresql() {
        // PostgreSQL has no ON CONFLICT for views with INSTEAD OF triggers; PostgREST passes its error on
        HttpResponse<String> r = w.send("POST", "/bike", "{\"name\":\"Bike U\",\"ext_key\":\"U1\"}", "Prefer", "resolution=merge-duplicates");
        assertError(r, 400, "42P10");
        assertEquals(List.of(), w.column("SELECT name FROM tmi.target WHERE ext_key = 'U1'"));
    }

    @Test
    void missingDefaultFillsColumnsAnElementLacks() {
        HttpResponse<String> r = w.send("POST", "/note?columns=id,body,made_by",
                "[{\"id\":440,\"body\":\"a\"},{\"id\":441,\"body\":\"b\",\"made_by\":\"me\"}]", "Prefer", "missing=default");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("missing=default", r.headers().firstValue("Preference-Applied").orElseThrow());
        assertEquals(List.of("440:a:gateway", "441:b:me"), w.notes("id IN (440, 441)"));

        r = w.send("POST", "/note?columns=id,body,made_by", "[{\"id\":442,\"body\":\"a\"},{\"id\":443,\"body\":\"b\",\"made_by\":\"me\"}]");
        assertEquals(201, r.statusCode(), r.body());
        assertEquals(List.of("442:a:NULL", "443:b:me"), w.notes("id IN (442, 443)"));
    }
}
