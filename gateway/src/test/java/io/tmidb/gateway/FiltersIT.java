// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The filters beyond comparisons: full-text search ({@code fts plfts phfts wfts}, with a
 * language), regular expressions ({@code match imatch}), {@code isdistinct}, the {@code (any)} and
 * {@code (all)} modifiers, and {@code in} lists with quotes and backslashes, over real HTTP.
 */
@TmidbTest
class FiltersIT {
    private static GatewayFixture gw;
    private static String auth;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        gw = GatewayFixture.start(db);
        auth = "Bearer " + gw.speaker();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"fast city bikes\"}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', $j${\"battery\": 20, \"model\": \"cargo: the \\\"big\\\" one\"}$j$, 'B2')");
            st.execute("SELECT tmi.add_target('Bike 3', 'bike', $j${\"battery\": 55, \"model\": \"C:\\\\bikes\\\\city\"}$j$, 'B3')");
            st.execute("SELECT tmi.add_target('Bike 4', 'bike', '{\"battery\": 40}', 'B4')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static List<String> names(String query) {
        HttpResponse<String> r = gw.get("/bike?select=name&order=name&" + query, "Authorization", auth);
        assertEquals(200, r.statusCode(), () -> query + ": " + r.body());
        List<String> out = new ArrayList<>();
        Json.of(r).forEach(row -> out.add(row.path("name").asText()));
        return out;
    }

    @Test
    void theModelsAreStoredAsWritten() {
        HttpResponse<String> r = gw.get("/bike?select=model&order=name", "Authorization", auth);
        assertEquals(Json.parse("[{\"model\":\"fast city bikes\"},{\"model\":\"cargo: the \\\"big\\\" one\"},"
                + "{\"model\":\"C:\\\\bikes\\\\city\"},{\"model\":null}]"), Json.of(r));
    }

    @Test
    void fullTextSearch() {
        // "bikes" and "C:\bikes\city" both hold the word bike once stemmed
        assertEquals(List.of("Bike 1", "Bike 3"), names("model=fts.bike"));
        assertEquals(List.of("Bike 1", "Bike 3"), names("model=fts(english).bike"));
        assertEquals(List.of("Bike 1"), names("model=plfts(english).fast bikes"));
        assertEquals(List.of("Bike 1"), names("model=phfts(english).fast city"));
        assertEquals(List.of(), names("model=phfts(english).city fast"));
        assertEquals(List.of("Bike 1"), names("model=wfts(english).\"fast city\" -cargo"));
        assertEquals(List.of("Bike 2"), names("model=not.fts(english).bike"), "NOT of a NULL model is not true");
        assertEquals(List.of("Bike 1", "Bike 2", "Bike 3"), names("or=(model.fts(english).bike,model.plfts.big)"));
        assertError(gw.get("/bike?model=fts(no_such_config).bike", "Authorization", auth), 400, "42704");
        assertError(gw.get("/bike?model=fts(two words).bike", "Authorization", auth), 400, "PGRST100");
        assertError(gw.get("/bike?model=fts.bike %26 %26", "Authorization", auth), 400, "42601");
    }

    @Test
    void regularExpressions() {
        assertEquals(List.of("Bike 1"), names("model=match.^fast"));
        assertEquals(List.of("Bike 3"), names("model=imatch.^c:"));
        assertEquals(List.of("Bike 2", "Bike 3"), names("model=match.[A-Z:]"));
        assertError(gw.get("/bike?model=match.(", "Authorization", auth), 400, "2201B");
    }

    @Test
    void isDistinctFrom() {
        assertEquals(List.of("Bike 2", "Bike 3", "Bike 4"), names("model=isdistinct.fast city bikes"), "NULL is distinct from a value");
        assertEquals(List.of("Bike 1"), names("model=not.isdistinct.fast city bikes"));
        assertEquals(List.of("Bike 1", "Bike 2", "Bike 3", "Bike 4"), names("battery=isdistinct.10"));
    }

    @Test
    void anyAndAllModifiers() {
        assertEquals(List.of("Bike 1", "Bike 2"), names("model=like(any).{fast*,cargo*}"));
        assertEquals(List.of("Bike 1"), names("model=like(all).{fast*,*bikes}"));
        assertEquals(List.of("Bike 1", "Bike 3"), names("model=ilike(any).{*CITY*}"));
        assertEquals(List.of("Bike 1", "Bike 2"), names("battery=eq(any).{80,20}"));
        assertEquals(List.of("Bike 1", "Bike 3"), names("battery=gt(all).{40,50}"));
        assertEquals(List.of("Bike 2"), names("model=match(any).{^x,big}"));
        assertEquals(List.of("Bike 3", "Bike 4"), names("or=(battery.eq(any).{55,40},model.like(all).{x*,y*})"));
        assertError(gw.get("/bike?battery=eq(any).{80,abc}", "Authorization", auth), 400, "22P02");
        assertError(gw.get("/bike?battery=eq(any).80", "Authorization", auth), 400, "PGRST100");
        assertError(gw.get("/bike?battery=in(any).{80}", "Authorization", auth), 400, "PGRST100");
    }

    @Test
    void inListsWithQuotesAndBackslashes() {
        assertEquals(List.of("Bike 2"), names("model=in.(\"cargo: the \\\"big\\\" one\",nothing)"));
        assertEquals(List.of("Bike 3"), names("model=in.(\"C:\\\\bikes\\\\city\")"));
        assertEquals(List.of("Bike 1", "Bike 3"), names("model=in.(\"C:\\\\bikes\\\\city\",fast city bikes)"));
        assertEquals(List.of("Bike 2"), names("model=not.in.(\"C:\\\\bikes\\\\city\",fast city bikes)&or=(model.is.null,battery.eq.20)"));
        assertError(gw.get("/bike?model=in.(a)b)", "Authorization", auth), 400, "PGRST100");
    }

    @Test
    void postgrestJsStyleQuotingStaysARead() {
        HttpResponse<String> r = gw.get("/bike?model=in.(\"a\",\"b\")&select=name", "Authorization", auth);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(Json.of(r).isEmpty());
    }
}
