// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client filters, without I/O (what a listener may see is the database's: see WebSocketIT). */
class FilterTest {
    private static Event event(String type, String kind, String target) {
        return new Event(7, "2026-11-27 10:00:00+00", type, kind, target);
    }

    @Test
    void clientFiltersNarrowTargetsKindsAndEventTypes() throws Exception {
        ClientFilter f = ClientFilter.parse(WsDatabase.JSON.readTree("{\"kinds\": [\"bike\"], \"events\": [\"obs\", \"alarm.*\"]}"));
        assertTrue(f.matches(event("obs", "bike", "t1")));
        assertTrue(f.matches(event("alarm.cleared", "bike", "t1")));
        assertFalse(f.matches(event("position", "bike", "t1")));
        assertFalse(f.matches(event("obs", "car", "t1")));
        assertNull(f.fields(), "all the listener may read");
        ClientFilter all = ClientFilter.parse(WsDatabase.JSON.readTree("{\"events\": [\"*\"], \"fields\": [\"a\"]}"));
        assertTrue(all.matches(event("schema.version", "bike", null)));
        assertEquals(List.of("a"), all.fields());
    }

    @Test
    void malformedSubscriptionsAreRefused() throws Exception {
        var msg = WsDatabase.JSON.readTree("{\"kinds\": \"bike\"}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse(msg)).getMessage().startsWith("kinds"));
    }
}
