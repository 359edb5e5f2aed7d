// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the URL grammar with seeded random and hostile strings in every place a client controls
 * (filter names, operators and values, logic trees, select, order, headers, function arguments):
 * the gateway answers each with a success or a PostgREST-shaped 4xx, never a 5xx, never slowly,
 * and nothing is changed or dropped by text that looks like SQL.
 */
@TmidbTest
class FilterFuzzIT {
    private static final long SEED = 20261127L;
    private static final List<String> HOSTILE = List.of(
            "'; DROP TABLE public.canary; --", "1); DELETE FROM tmi.target; --", "x' OR '1'='1", "\" OR 1=1 --",
            "\"; DROP TABLE public.canary; --\"", "1 OR pg_sleep(3) IS NULL", "$$; SELECT pg_sleep(3); $$",
            "name\"; SELECT pg_sleep(3); --", "*/ SELECT 1; /*", "\\", "\\\"", "((((((", "))))", "or=(", "not.not.not.eq.1",
            "eq.", ".", "..", "in.(", "in.(\"a,b", "is.maybe", "cs.{", "cs.{\"a\":", "->", "->>", "battery->>", "tags->>'x';--",
            "\u0000", "\u202e\u2066", "🚲", "%", "%25", "&", "=", "select=*", "NULL", "true", "-1", "1e309", "NaN", "infinity",
            "2026-13-45", "00000000-0000-0000-0000-000000000000", "x".repeat(10_000), "name:battery::text;drop",
            "battery::pg_sleep", "canary", "public.canary", "tmi.target", "pg_catalog.pg_authid", "\"\"", "''");
    private static final String[] COLUMNS = {"name", "battery", "model", "in_service", "tags", "target_id", "ext_key",
            "created_at", "tags->>color", "tags->docks->0", "nope", "\"name\"", "name;", "Name"};
    private static final String[] OPS = {"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is", "cs", "cd",
            "not.eq", "fts", "match", "", "not", "EQ", "imatch", "isdistinct", "plfts", "phfts", "wfts", "fts(english)",
            "fts(no_such_config)", "like(any)", "ilike(all)", "eq(any)", "gt(all)", "match(any)", "in(any)", "eq(some)"};
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789.,()\"'\\;:-> *{}[]=!&%|$_";

    private static GatewayFixture gw;
    private static String auth;
    private static TestDatabase database;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        database = db;
        gw = GatewayFixture.start(db);
        auth = "Bearer " + gw.speaker();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE public.canary (x integer)");
            st.execute("INSERT INTO public.canary VALUES (1)");
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\", \"tags\": {\"color\": \"red\"}}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\"}', 'B2')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String random(Random rnd, int max) {
        StringBuilder b = new StringBuilder();
        int n = rnd.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            b.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
        }
        return b.toString();
    }

    private static String value(Random rnd) {
        return rnd.nextInt(3) == 0 ? HOSTILE.get(rnd.nextInt(HOSTILE.size())) : random(rnd, 12);
    }

    private static String column(Random rnd) {
        return rnd.nextInt(6) == 0 ? value(rnd) : COLUMNS[rnd.nextInt(COLUMNS.length)];
    }

    /** One random query-string parameter of any kind the grammar knows. */
    private static String param(Random rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> "select=" + enc(column(rnd) + (rnd.nextBoolean() ? "," + column(rnd) : "") + (rnd.nextBoolean() ? "::" + value(rnd) : ""));
            case 1 -> "order=" + enc(column(rnd) + "." + (rnd.nextBoolean() ? "desc" : value(rnd)));
            case 2 -> (rnd.nextBoolean() ? "limit=" : "offset=") + enc(rnd.nextBoolean() ? Integer.toString(rnd.nextInt(5)) : value(rnd));
            case 3 -> (rnd.nextBoolean() ? "or=" : "not.and=") + enc("(" + column(rnd) + "." + OPS[rnd.nextInt(OPS.length)] + "."
                    + value(rnd) + "," + (rnd.nextBoolean() ? "and(" + column(rnd) + ".is.null," + value(rnd) + ")" : value(rnd)) + ")");
            case 4 -> enc(value(rnd)) + "=" + enc(value(rnd));
            default -> enc(column(rnd)) + "=" + enc(OPS[rnd.nextInt(OPS.length)] + "." + (rnd.nextBoolean()
                    ? "(" + value(rnd) + "," + value(rnd) + ")" : value(rnd)));
        };
    }

    /**
     * Sends the request; oversized ones on a connection of their own. The server closes a
     * connection after refusing a request it cannot parse (414, 431, an ambiguous path), and a
     * pooled client can race that close with its next request: a GET that got no response bytes at
     * all is therefore sent once more, alone (a GET changes nothing, so repeating it is safe).
     */
    private static HttpResponse<String> send(String method, String path, String body, String... headers) {
        int size = path.length() + String.join("", headers).length();
        if (size > 4000) {
            return gw.sendAlone(method, path, body, headers);
        }
        try {
            return gw.send(method, path, body, headers);
        } catch (java.io.UncheckedIOException e) {
            if (!method.equals("GET")) {
                throw e;
            }
            return gw.sendAlone(method, path, body, headers);
        }
    }

    private static void assertSafe(HttpResponse<String> r, String what) {
        assertTrue(r.statusCode() < 500, () -> what + " -> " + r.statusCode() + " " + r.body());
        if (r.statusCode() >= 400) {
            assertTrue(r.body().startsWith("{\"code\":"), () -> what + " -> " + r.body());
        }
    }

    @Test
    void randomAndHostileQueriesNeverFailTheServer() throws SQLException {
        Random rnd = new Random(SEED);
        int ok = 0;
        List<String> slow = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            StringBuilder q = new StringBuilder("/bike?");
            int params = 1 + rnd.nextInt(3);
            for (int p = 0; p < params; p++) {
                q.append(p > 0 ? "&" : "").append(param(rnd));
            }
            String path = q.toString();
            long t0 = System.nanoTime();
            HttpResponse<String> r = send("GET", path, null, "Authorization", auth);
            if (System.nanoTime() - t0 > 2_000_000_000L) {
                slow.add(path);
            }
            assertSafe(r, path);
            ok += r.statusCode() < 300 ? 1 : 0;
        }
        assertTrue(ok > 30, "some random queries should be valid, got " + ok);
        assertEquals(List.of(), slow, "requests that took over 2 s (an injected pg_sleep?)");
        assertNothingChanged();
    }

    @Test
    void hostileStringsInEveryPosition() throws SQLException {
        for (String h : HOSTILE) {
            String e = enc(h);
            List<String> paths = List.of("/bike?name=eq." + e, "/bike?name=in.(" + e + ",x)", "/bike?name=like." + e,
                    "/bike?or=(name.eq." + e + ",battery.gt.1000)", "/bike?select=" + e, "/bike?order=" + e,
                    "/bike?" + e + "=eq.1", "/bike?name=" + e, "/bike?tags->>" + e + "=eq.1", "/bike?limit=" + e,
                    "/rpc/low_battery?threshold=" + e, "/" + e, "/rpc/" + e, "/api/" + e, "/api/x/" + e + "/obs?since=" + e);
            for (String path : paths) {
                assertSafe(send("GET", path, null, "Authorization", auth), path);
            }
            for (String header : List.of("Range", "Accept-Profile", "Prefer", "Accept")) {
                assertSafe(send("GET", "/bike", null, "Authorization", auth, header, h.replaceAll("[^\\x20-\\x7e]", "")), header + ": " + h);
            }
            assertSafe(send("DELETE", "/bike?name=eq." + e, null, "Authorization", auth), "DELETE " + h);
            assertSafe(send("PATCH", "/bike?ext_key=eq." + e, "{\"model\":" + new com.fasterxml.jackson.databind.ObjectMapper()
                    .valueToTree(h) + "}", "Authorization", auth, "Content-Type", "application/json"), "PATCH " + h);
            assertSafe(send("POST", "/rpc/low_battery", "{\"threshold\":" + new com.fasterxml.jackson.databind.ObjectMapper()
                    .valueToTree(h) + "}", "Authorization", auth, "Content-Type", "application/json"), "rpc " + h);
        }
        assertNothingChanged();
    }

    private static void assertNothingChanged() throws SQLException {
        try (Connection c = database.connect()) {
            assertEquals("1", Sql.scalar(c, "SELECT count(*) FROM public.canary"));
            assertEquals(List.of("cargo", "city"), Sql.column(c, "SELECT meta->>'model' FROM tmi.target ORDER BY 1"));
        }
    }
}
