// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code event} frames of one event, one text per {@link Viewer}: the payload each viewer may
 * read comes from the database ({@code tmi.events_seen}), which also says when a viewer may not
 * see the event at all. The frame is encoded once per distinct payload: sessions of the same viewer,
 * and viewers that read the same fields, share one text. The hub uses the frames of a batch on the
 * reader's thread only; the replays of one viewer share theirs ({@link ReplayBatches}), which only
 * read the payloads and add frames.
 */
final class EventFrames {
    private final Event event;
    private final String head;
    private final SeenBatch batch;
    /** The payload per viewer that may see the event, as JSON text; a viewer the batch was read for and absent here may not. */
    private final Map<Viewer, String> payloads = new HashMap<>(4);
    /** The frame per payload: viewers that read alike got the same payload from one row, and share one frame. */
    private final Map<String, String> texts = new ConcurrentHashMap<>(4);

    EventFrames(Event event, SeenBatch batch) {
        this.event = event;
        this.batch = batch;
        ObjectNode frame = WsDatabase.JSON.createObjectNode().put("type", "event").put("id", event.id()).put("ts", event.ts())
                .put("event_type", event.type()).put("kind", event.kind()).put("target_id", event.targetId());
        String text = frame.toString();
        // the payload is spliced in as the database wrote it: no parsing, no second serialization
        this.head = text.substring(0, text.length() - 1) + ",\"payload\":";
    }

    Event event() {
        return event;
    }

    void seen(Viewer viewer, String payload) {
        payloads.put(viewer, payload);
    }

    /** The payload this viewer may read as JSON text, or null (hidden, or not read for it). */
    String payload(Viewer viewer) {
        return payloads.get(viewer);
    }

    /** The frame for this viewer, or null when it may not see the event. */
    String text(Viewer viewer) {
        if (!batch.asked(viewer)) {
            batch.fetch(viewer);
        }
        String payload = payloads.get(viewer);
        return payload == null ? null : texts.computeIfAbsent(payload, p -> head + p + "}");
    }
}
