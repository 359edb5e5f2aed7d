// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code event} frames of one event, one text per distinct field set, so that sessions that
 * may read the same fields share one serialization. Fields restrict {@code payload.meta} of target
 * events and each {@code payload.obs[].payload} (and {@code previous}, of corrections) of observation
 * events; an alarm event keeps its
 * {@code value} only for readers of all fields (the value may be of any field). Not thread-safe:
 * the hub uses one per event, a replay its own.
 */
final class EventFrames {
    /** The readings an observation event carries: the stored one, and before a correction the previous one. */
    private static final List<String> READINGS = List.of("payload", "previous");

    private final Event event;
    private final Map<FieldSet, String> texts = new HashMap<>(4);

    EventFrames(Event event) {
        this.event = event;
    }

    Event event() {
        return event;
    }

    String text(FieldSet fields) {
        return texts.computeIfAbsent(fields, this::render);
    }

    private String render(FieldSet fields) {
        ObjectNode frame = WsDatabase.JSON.createObjectNode().put("type", "event").put("id", event.id()).put("ts", event.ts())
                .put("event_type", event.type()).put("kind", event.kind()).put("target_id", event.targetId());
        frame.set("payload", payload(fields));
        return frame.toString();
    }

    private JsonNode payload(FieldSet fields) {
        ObjectNode p = event.payload();
        if (fields.all()) {
            return p;
        }
        if (event.type().startsWith("target.") && p.get("meta") instanceof ObjectNode meta) {
            return shallow(p).set("meta", fields.apply(meta));
        }
        if ((event.type().equals("obs") || event.type().equals("obs.corrected")) && p.get("obs") instanceof ArrayNode obs) {
            ArrayNode shaped = p.arrayNode(obs.size());
            for (JsonNode o : obs) {
                ObjectNode copy = shallow((ObjectNode) o);
                for (String reading : READINGS) {
                    if (o.get(reading) instanceof ObjectNode doc) {
                        copy.set(reading, fields.apply(doc));
                    }
                }
                shaped.add(copy);
            }
            return shallow(p).set("obs", shaped);
        }
        if (event.type().startsWith("alarm.")) {
            ObjectNode copy = shallow(p);
            copy.remove("value");
            return copy;
        }
        return p;
    }

    private static ObjectNode shallow(ObjectNode doc) {
        ObjectNode copy = doc.objectNode();
        copy.setAll(doc);
        return copy;
    }
}
