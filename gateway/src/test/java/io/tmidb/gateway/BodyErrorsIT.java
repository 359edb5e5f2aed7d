// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request bodies the gateway refuses, in PostgREST's error shape and with nothing written: larger
 * than {@code max-body} (announced or chunked), not UTF-8, not JSON; and query strings that are
 * not UTF-8. Valid multi-byte text is stored as sent.
 */
@TmidbTest
class BodyErrorsIT {
    private static final int MAX_BODY = 1000;
    private static WriteFixture fx;
    private static GatewayFixture gw;
    private static String auth;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        fx = WriteFixture.start(db, Map.of("max-body", Integer.toString(MAX_BODY)));
        gw = fx.gateway();
        auth = "Bearer " + gw.speaker();
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    private static HttpResponse<String> post(String path, HttpRequest.BodyPublisher body) {
        return gw.sendRaw("POST", path, body, "Authorization", auth, "Content-Type", "application/json");
    }

    private static String bigNote() {
        return "{\"id\": 100, \"body\": \"" + "x".repeat(MAX_BODY) + "\"}";
    }

    @Test
    void aBodyOverMaxBodyIs413() {
        assertError(post("/note", HttpRequest.BodyPublishers.ofString(bigNote())), 413, "PGRST000");
        assertEquals(List.of(), fx.notes("id = 100"));
    }

    @Test
    void aChunkedBodyOverMaxBodyIs413Too() {
        byte[] bytes = bigNote().getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = post("/note", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)));
        assertError(r, 413, "PGRST000");
        assertEquals(List.of(), fx.notes("id = 100"));
        assertError(post("/rpc/log_call", HttpRequest.BodyPublishers.ofString("{\"msg\": \"" + "y".repeat(MAX_BODY) + "\"}")), 413, "PGRST000");
        assertEquals(List.of(), fx.column("SELECT msg FROM api_v2.call_log"));
    }

    @Test
    void invalidUtf8IsRefusedNotReplaced() {
        byte[] bad = "{\"id\": 101, \"body\": \"caf\u0000\"}".getBytes(StandardCharsets.UTF_8);
        bad[bad.length - 3] = (byte) 0xE9; // Latin-1 é: not UTF-8
        HttpResponse<String> r = post("/note", HttpRequest.BodyPublishers.ofByteArray(bad));
        assertTrue(assertError(r, 400, "PGRST102").path("details").asText().contains("UTF-8"), r::body);
        assertEquals(List.of(), fx.notes("id = 101"));
        assertError(post("/rpc/log_call", HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', 'm', 's', 'g', '"', ':', '"', (byte) 0xC3, '"', '}'})),
                400, "PGRST102");
        assertEquals(List.of(), fx.column("SELECT msg FROM api_v2.call_log"));
        HttpResponse<String> patch = gw.sendRaw("PATCH", "/note?id=eq.1", HttpRequest.BodyPublishers.ofByteArray(bad),
                "Authorization", auth, "Content-Type", "application/json");
        assertError(patch, 400, "PGRST102");
    }

    @Test
    void invalidJsonIs400() {
        assertError(post("/note", HttpRequest.BodyPublishers.ofString("{\"id\": 102, \"body\": ")), 400, "PGRST102");
        assertError(post("/note", HttpRequest.BodyPublishers.ofString("")), 400, "PGRST102");
        assertEquals(List.of(), fx.notes("id = 102"));
    }

    @Test
    void multiByteTextIsStoredAsSent() {
        HttpResponse<String> r = post("/note", HttpRequest.BodyPublishers.ofString("{\"id\": 103, \"body\": \"café ✓ 𝄞\"}"));
        assertEquals(201, r.statusCode(), r.body());
        assertEquals(List.of("103:café ✓ 𝄞:gateway"), fx.notes("id = 103"));
        HttpResponse<String> read = gw.get("/note?body=eq.caf%C3%A9%20%E2%9C%93%20%F0%9D%84%9E&select=id", "Authorization", auth);
        assertEquals(Json.parse("[{\"id\":103}]"), Json.of(read));
    }

    @Test
    void aQueryStringThatIsNotUtf8Is400() {
        assertError(gw.get("/note?body=eq.caf%E9", "Authorization", auth), 400, "PGRST100");
        assertError(gw.get("/note?body=eq.%C3", "Authorization", auth), 400, "PGRST100");
    }
}
