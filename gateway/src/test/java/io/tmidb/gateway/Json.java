// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads response bodies and asserts PostgREST-shaped errors. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    static JsonNode of(HttpResponse<String> r) {
        try {
            return MAPPER.readTree(r.body());
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON (" + r.statusCode() + "): " + r.body(), e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    /** Asserts the status and the error body {code, message, details, hint} with this code. */
    static JsonNode assertError(HttpResponse<String> r, int status, String code) {
        assertEquals(status, r.statusCode(), r::body);
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers()::toString);
        JsonNode body = of(r);
        assertEquals(code, body.path("code").asText(), r::body);
        for (String field : new String[] {"message", "details", "hint"}) {
            assertTrue(body.has(field), () -> "no " + field + " in " + r.body());
        }
        assertTrue(!body.path("message").asText().isBlank(), r::body);
        return body;
    }
}
