// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Listener scopes, client filters and event frames, without I/O: the rules of tmi.fields_of and tmi.only_fields. */
class FilterTest {
    private static Event event(String type, String kind, String target, String payload) throws Exception {
        return new Event(7, "2026-11-27 10:00:00+00", type, kind, target, (ObjectNode) WsDatabase.JSON.readTree(payload));
    }

    @Test
    void scopesFollowTheSubscriptionsOfTheListener() throws Exception {
        ListenerScope scope = new ListenerScope.Builder().add(null, "bike", List.of("battery"))
                .add("t1", null, List.of("speed")).add("t2", null, null).build();
        Event bike = event("obs", "bike", "t9", "{}");
        assertEquals(FieldSet.of(List.of("battery")), scope.fields(bike));
        assertEquals(FieldSet.of(List.of("battery", "speed")), scope.fields(event("obs", "bike", "t1", "{}")), "union of the matching subscriptions");
        assertEquals(FieldSet.ALL, scope.fields(event("obs", "car", "t2", "{}")));
        assertNull(scope.fields(event("obs", "car", "t3", "{}")), "not subscribed: not visible");
        assertEquals(FieldSet.ALL, ListenerScope.EVERYTHING.fields(bike));
    }

    @Test
    void clientFiltersNarrowTargetsKindsAndEventTypes() throws Exception {
        ClientFilter f = ClientFilter.parse(WsDatabase.JSON.readTree("{\"kinds\": [\"bike\"], \"events\": [\"obs\", \"alarm.*\"]}"));
        assertTrue(f.matches(event("obs", "bike", "t1", "{}")));
        assertTrue(f.matches(event("alarm.cleared", "bike", "t1", "{}")));
        assertFalse(f.matches(event("position", "bike", "t1", "{}")));
        assertFalse(f.matches(event("obs", "car", "t1", "{}")));
        assertEquals(FieldSet.ALL, f.fields());
        ClientFilter all = ClientFilter.parse(WsDatabase.JSON.readTree("{\"events\": [\"*\"], \"fields\": [\"a\"]}"));
        assertTrue(all.matches(event("schema.version", "bike", null, "{}")));
        assertEquals(FieldSet.of(List.of("a")), FieldSet.of(List.of("a", "b")).intersect(all.fields()));
        assertEquals(FieldSet.of(List.of("a")), FieldSet.ALL.intersect(all.fields()));
    }

    @Test
    void framesCarryOnlyTheAllowedFields() throws Exception {
        EventFrames target = new EventFrames(event("target.updated", "bike", "t1",
                "{\"name\": \"B\", \"meta\": {\"battery\": 5, \"model\": \"city\"}}"));
        String shaped = target.text(FieldSet.of(List.of("battery")));
        assertTrue(shaped.contains("\"meta\":{\"battery\":5}"), shaped);
        assertTrue(target.text(FieldSet.ALL).contains("\"model\":\"city\""));
        EventFrames obs = new EventFrames(event("obs", "bike", "t1",
                "{\"count\": 1, \"obs\": [{\"obs_id\": 1, \"payload\": {\"battery\": 5, \"speed\": 9}}]}"));
        String o = obs.text(FieldSet.of(List.of("speed")));
        assertTrue(o.contains("\"payload\":{\"speed\":9}") && o.startsWith("{\"type\":\"event\",\"id\":7,"), o);
        EventFrames alarm = new EventFrames(event("alarm.active", "bike", "t1", "{\"state\": \"active\", \"value\": 3.5}"));
        assertFalse(alarm.text(FieldSet.of(List.of("speed"))).contains("value"));
        assertTrue(alarm.text(FieldSet.ALL).contains("\"value\":3.5"));
    }

    @Test
    void malformedSubscriptionsAreRefused() throws Exception {
        var msg = WsDatabase.JSON.readTree("{\"kinds\": \"bike\"}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ClientFilter.parse(msg)).getMessage().startsWith("kinds"));
    }
}
