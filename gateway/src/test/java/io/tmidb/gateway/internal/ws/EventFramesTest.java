// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What an event frame shows a reader restricted to some fields. */
class EventFramesTest {

    @Test
    void aCorrectionShowsOnlyTheReadersFieldsOfBothReadings() throws Exception {
        ObjectNode payload = (ObjectNode) WsDatabase.JSON.readTree("""
                {"count": 1, "obs": [{"obs_id": 7, "ts": "2026-11-20T10:00:00Z",
                                      "payload": {"kwh": 150, "secret": 1}, "previous": {"kwh": 5, "secret": 0}}]}""");
        EventFrames frames = new EventFrames(new Event(3, "2026-11-20T10:00:01Z", "obs.corrected", "meter",
                "2f1c7a52-0000-4000-8000-000000000001", payload));
        ObjectNode frame = (ObjectNode) WsDatabase.JSON.readTree(frames.text(FieldSet.of(List.of("kwh"))));
        assertEquals("{\"obs_id\":7,\"ts\":\"2026-11-20T10:00:00Z\",\"payload\":{\"kwh\":150},\"previous\":{\"kwh\":5}}",
                frame.path("payload").path("obs").get(0).toString());
        ObjectNode all = (ObjectNode) WsDatabase.JSON.readTree(frames.text(FieldSet.ALL));
        assertEquals(payload, all.path("payload"));
    }
}
