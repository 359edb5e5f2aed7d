// SPDX-License-Identifier: MIT
package io.tmidb.normalizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

class SuggesterTest {
    private static final String GBFS_1 = """
            {"last_updated": 1795780800, "ttl": 60, "data": {"stations": [
             {"station_id": "101", "num_bikes_available": 3, "num_docks_available": 9, "is_renting": 1, "last_reported": 1795780790, "capacity": 12},
             {"station_id": "102", "num_bikes_available": 0, "num_docks_available": 15, "is_renting": 1, "last_reported": 1795780760, "capacity": 15},
             {"station_id": "103", "num_bikes_available": 7, "num_docks_available": 1, "is_renting": 0, "last_reported": 1795780701, "capacity": 8},
             {"station_id": "104", "num_bikes_available": 2, "num_docks_available": 18, "is_renting": 1, "last_reported": 1795780788, "capacity": 20}]}}""";
    private static final String GBFS_2 = GBFS_1.replace("\"num_bikes_available\": 3", "\"num_bikes_available\": 4")
            .replace("\"num_bikes_available\": 7", "\"num_bikes_available\": 5").replace("17957807", "17957808");

    @Test
    void gbfsStationStatus() throws Exception {
        Suggestion s = Suggester.withModel().suggest(List.of(GBFS_2, GBFS_1), "bikes");
        JsonNode rule = s.rule();
        assertEquals("$.data.stations[*]", rule.get("iterate").asText());
        assertEquals("$.station_id", rule.get("key").asText());
        assertEquals("$.last_reported", rule.get("timestamp").get("path").asText());
        assertEquals("epoch_s", rule.get("timestamp").get("format").asText());
        assertEquals("integer", rule.get("fields").get("num_bikes_available").get("type").asText());
        assertEquals("attribute", rule.get("fields").get("capacity").path("as").asText());
        assertFalse(rule.get("fields").get("num_bikes_available").has("as"), "a count that changes is an observation");
        assertTrue(s.elements().stream().allMatch(e -> e.reason() != null && !e.reason().isBlank()));
    }

    @Test
    void positionalRowsAndGeoJson() throws Exception {
        String rows = """
                {"time": 1795780800, "states": [
                 ["4b1805", "SWR123  ", 1795780790, 8.5521, 47.4582, 3200.5],
                 ["3c6444", "DLH9AB  ", 1795780791, 8.6821, 50.0333, 10972.8],
                 ["440170", "AUA17   ", 1795780785, 16.5697, 48.1103, 1524.0]]}""";
        JsonNode r = Suggester.withModel().suggest(List.of(rows), null).rule();
        assertEquals("$.states[*]", r.get("iterate").asText());
        assertEquals("$[0]", r.get("key").asText());
        assertEquals("$[4]", r.get("lat").asText());
        assertEquals("$[3]", r.get("lon").asText());

        String geo = """
                {"type": "FeatureCollection", "features": [
                 {"type": "Feature", "id": "q1", "properties": {"mag": 2.1, "time": 1795780800000}, "geometry": {"type": "Point", "coordinates": [-122.8123, 38.7913, 5.1]}},
                 {"type": "Feature", "id": "q2", "properties": {"mag": 4.5, "time": 1795780500000}, "geometry": {"type": "Point", "coordinates": [142.3467, 38.1021, 30.0]}},
                 {"type": "Feature", "id": "q3", "properties": {"mag": 3.3, "time": 1795780100000}, "geometry": {"type": "Point", "coordinates": [-70.5144, -33.4172, 90.2]}},
                 {"type": "Feature", "id": "q4", "properties": {"mag": 1.2, "time": 1795779900000}, "geometry": {"type": "Point", "coordinates": [-155.2811, 19.4103, 1.9]}}]}""";
        JsonNode g = Suggester.withModel().suggest(List.of(geo), null).rule();
        assertEquals("$.geometry", g.get("position").get("geojson").asText());
        assertEquals("epoch_ms", g.get("timestamp").get("format").asText());
    }

    @Test
    void hostileDocumentsAreRefusedOrSampled() throws Exception {
        Suggester s = Suggester.withModel();
        SuggestionException deep = assertThrows(SuggestionException.class,
                () -> s.suggest(List.of("[".repeat(10_000) + "]".repeat(10_000)), null));
        assertEquals(SuggestionException.Code.TOO_DEEP, deep.code());

        SuggestionException binary = assertThrows(SuggestionException.class, () -> s.suggestBytes(
                List.of(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}), null));
        assertEquals(SuggestionException.Code.NOT_JSON, binary.code());

        StringBuilder wide = new StringBuilder("{\"items\": [{\"id\": \"a\"");
        for (int i = 0; i < 100_000; i++) {
            wide.append(", \"k").append(i).append("\": ").append(i);
        }
        wide.append("}, {\"id\": \"b\", \"k1\": 2}]}");
        Suggestion w = s.suggest(List.of(wide.toString()), null);
        assertTrue(w.notes().stream().anyMatch(n -> n.startsWith("sampled:")), w.notes().toString());
        assertEquals("$.id", w.rule().get("key").asText());

        StringBuilder big = new StringBuilder("{\"rows\": [");
        for (int i = 0; big.length() < 10_500_000; i++) {
            big.append(i == 0 ? "" : ",").append("{\"id\": \"r").append(i).append("\", \"v\": ").append(i % 97).append(", \"pad\": \"")
                    .append("x".repeat(60)).append("\"}");
        }
        big.append("]}");
        Suggestion b = s.suggestBytes(List.of(big.toString().getBytes(StandardCharsets.UTF_8)), null);
        assertEquals("$.rows[*]", b.rule().get("iterate").asText());
        assertTrue(b.notes().stream().anyMatch(n -> n.contains("array elements beyond the first")), b.notes().toString());

        SuggestionException huge = assertThrows(SuggestionException.class,
                () -> s.suggestBytes(List.of(new byte[io.tmidb.normalizer.internal.DocumentReader.MAX_BYTES + 1]), null));
        assertEquals(SuggestionException.Code.TOO_LARGE, huge.code());
    }

    @Test
    void noKeyIsSaid() {
        SuggestionException e = assertThrows(SuggestionException.class, () -> Suggester.withModel().suggest(
                List.of("[{\"a\": 1.5, \"b\": true}, {\"a\": 1.5, \"b\": false}]"), null));
        assertEquals(SuggestionException.Code.NO_KEY, e.code());
    }
}
