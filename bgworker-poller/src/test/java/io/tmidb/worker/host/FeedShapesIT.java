// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.util.List;
import java.util.Locale;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.worker.host.MappingIT.ingest;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Timestamps, values and positions written the way real feeds write them: each document mixes
 * good items with broken ones; the broken ones fail with a message naming path, value and remedy,
 * and the good ones are stored. Same results on both hosts.
 */
@TmidbTest
class FeedShapesIT {
    static final String OPENSKY_RULE = """
            {"iterate": "$.states[*]", "kind": "aircraft", "key": "$[0]", "name": "$[1]",
             "timestamp": {"path": "$[3]", "format": "epoch_s"},
             "lat": "$[6]", "lon": "$[5]",
             "fields": {"baro_altitude": {"path": "$[7]", "type": "number"},
                        "on_ground": {"path": "$[8]", "type": "boolean"},
                        "velocity": {"path": "$[9]", "type": "number"},
                        "country": {"path": "$[2]", "type": "text", "as": "attribute"}}}""";
    static final String OPENAQ_RULE = """
            {"iterate": "$.results[*]", "kind": "air_station", "key": "$.location",
             "timestamp": {"path": "$.measurements[0].lastUpdated"},
             "lat": "$.coordinates.latitude", "lon": "$.coordinates.longitude",
             "fields": {"pm25": {"path": "$.measurements ? (@.parameter == \\"pm25\\").value", "type": "number"},
                        "o3": {"path": "$.measurements ? (@.parameter == \\"o3\\").value", "type": "number"},
                        "city": {"path": "$.cty", "type": "text", "as": "attribute"}}}""";
    static final String WEATHER_CSV_RULE = """
            {"iterate": "$.data[*]", "kind": "weather_station", "key": "$.station",
             "timestamp": {"path": "$.observed", "format": "pattern", "pattern": "dd/MM/yyyy HH:mm",
                           "timezone": "America/Los_Angeles"},
             "fields": {"temp_c": {"path": "$.temp", "type": "number", "unit": "°C"},
                        "pressure_hpa": {"path": "$.pressure", "type": "number"},
                        "latency_ms": {"path": "$.latency", "type": "integer", "unit": "ms"},
                        "raining": {"path": "$.raining", "type": "boolean"},
                        "checked": {"path": "$.checked", "type": "timestamp", "timezone": "America/Los_Angeles"}}}""";
    static final String QUAKES_GEOJSON_RULE = """
            {"iterate": "$.features[*]", "kind": "quake", "key": "$.id",
             "timestamp": {"path": "$.properties.time", "format": "epoch_ms"},
             "position": {"geojson": "$.geometry"},
             "fields": {"mag": {"path": "$.properties.mag", "type": "number"}}}""";
    static final String QUAKES_SWAPPED_RULE = """
            {"iterate": "$.features[*]", "kind": "quake", "key": "$.id",
             "timestamp": {"path": "$.properties.time", "format": "epoch_ms"},
             "lat": "$.geometry.coordinates[0]", "lon": "$.geometry.coordinates[1]",
             "fields": {"mag": {"path": "$.properties.mag", "type": "number"}}}""";
    static final String GBFS_V1_RULE = """
            {"iterate": "$.data.stations[*]", "kind": "bike_station", "key": "$.station_id",
             "timestamp": {"path": "$.last_reported", "format": "epoch_s"},
             "fields": {"bikes": {"path": "$.num_bikes_available", "type": "integer"},
                        "ebikes": {"path": "$.num_ebikes_avail", "type": "integer"},
                        "renting": {"path": "$.is_renting", "type": "boolean"},
                        "installed": {"path": "$.is_installed", "type": "boolean", "as": "attribute"}}}""";

    private static final String OBSERVATIONS = "SELECT t.ext_key || ' ' || t.name || ' ' || o.ts || ' ' || o.payload"
            + " FROM tmi.ts_obs o JOIN tmi.target t USING (target_id) ORDER BY t.ext_key";
    private static final String POSITIONS = "SELECT t.ext_key || ' ' || g.lat || ' ' || g.lon"
            + " FROM tmi.geo_trace g JOIN tmi.target t USING (target_id) ORDER BY t.ext_key";

    /** What mapping one document did: the raw row's status, error and counts, and what was stored. */
    private record Mapped(String outcome, List<String> observations, List<String> positions, List<String> targets) {
    }

    /** Maps {@code feed} under {@code rule} in a database of its own ({@code name}) on {@code host}. */
    private static Mapped map(String name, Host host, TestDatabase db, String rule, String feed) throws Exception {
        TestDatabase d = db.sibling(name + "_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            MappingIT.rule(c, "feed", rule);
            long raw = ingest(c, "feed", Feeds.read(feed));
            running.awaitIdle();
            return new Mapped(scalar(c, "SELECT status || ' | ' || coalesce(error, '-') || ' | ' || counts"
                    + " FROM tmi.raw_bucket WHERE raw_id = " + raw), Sql.column(c, OBSERVATIONS), Sql.column(c, POSITIONS),
                    Sql.column(c, "SELECT ext_key || ' ' || meta FROM tmi.target ORDER BY ext_key"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void openSkyStateVectorsAreArraysWithPaddedCallsigns(Host host, TestDatabase db) throws Exception {
        Mapped m = map("opensky", host, db, OPENSKY_RULE, "opensky_states.json");
        assertEquals("failed | 2 of 5 items failed: item 3: timestamp at $[3]: 1795780790000 is +58876-01-10T21:13:20Z"
                + " as epoch seconds, not between 1990 and 2100; as epoch_ms it is 2026-11-27T11:59:50Z:"
                + " use \"format\": \"epoch_ms\"; item 4: field \"on_ground\" at $[8]: \"maybe\" is not a boolean"
                + " (true/false, yes/no or 1/0) | {\"items\": 5, \"positions\": 2, \"failed_items\": 2, \"observations\": 3}",
                m.outcome());
        // callsigns padded to eight characters are trimmed; a blank one names the target by its key
        assertEquals(List.of(
                "3c6444 FLT000 2026-11-27 11:59:50+00 {\"velocity\": 0, \"on_ground\": true}",
                "4b1815 SWR123 2026-11-27 11:59:55+00 {\"velocity\": 112.3, \"on_ground\": false, \"baro_altitude\": 1234.5}",
                "c0817b c0817b 2026-11-27 11:59:52+00 {\"on_ground\": false}"),
                m.observations());
        assertEquals(List.of("3c6444 48.3538 11.7861", "4b1815 47.4519 8.5492"), m.positions());
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void openAqNestedMeasurementsAndAPathThatMatchesNothing(Host host, TestDatabase db) throws Exception {
        Mapped m = map("openaq", host, db, OPENAQ_RULE, "openaq_latest.json");
        assertEquals("failed | 1 of 3 items failed: item 2: field \"pm25\" at $.measurements ? (@.parameter == \"pm25\").value:"
                + " \"n/a\" is not a number | {\"items\": 3, \"warnings\": [\"field \\\"city\\\" at $.cty matched nothing"
                + " in any of 3 items\"], \"positions\": 2, \"failed_items\": 1, \"observations\": 2}",
                m.outcome());
        assertEquals(List.of(
                "Jongno-gu Jongno-gu 2026-11-27 12:00:00+00 {\"o3\": 0.021, \"pm25\": 18}",
                "Mapo-gu Mapo-gu 2026-11-27 12:00:00+00 {\"pm25\": 22.5}"),
                m.observations());
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void weatherCsvRowsWithUnitsLocalTimesAndThousands(Host host, TestDatabase db) throws Exception {
        Mapped m = map("weather", host, db, WEATHER_CSV_RULE, "weather_csv_envelope.json");
        assertEquals("failed | 3 of 5 items failed: item 3: field \"temp_c\" at $.temp: \"54.5 °F\" has the unit \"°F\","
                + " not \"°C\"; item 4: timestamp at $.observed: \"2026-11-27 04:00\" does not match the pattern"
                + " \"dd/MM/yyyy HH:mm\"; item 5: field \"pressure_hpa\" at $.pressure: \"1,015,3\" is not a number"
                + " (commas only separate thousands, as in 1,234.5) | {\"items\": 5, \"positions\": 0,"
                + " \"failed_items\": 3, \"observations\": 2}",
                m.outcome());
        assertEquals(List.of(
                "KPDX KPDX 2026-11-27 12:00:00+00 {\"temp_c\": 9, \"checked\": \"2026-11-27T12:12:30.500Z\","
                        + " \"raining\": false, \"latency_ms\": 1204, \"pressure_hpa\": 1009.8}",
                "KSEA KSEA 2026-11-27 12:00:00+00 {\"temp_c\": 12.5, \"checked\": \"2026-11-27T12:10:00Z\","
                        + " \"raining\": true, \"latency_ms\": 819, \"pressure_hpa\": 1013.2}"),
                m.observations());
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void geoJsonPointsAreReadAsLonLatAndOnlyPointsAreAccepted(Host host, TestDatabase db) throws Exception {
        Mapped m = map("points", host, db, QUAKES_GEOJSON_RULE, "geojson_quakes_mixed.json");
        assertEquals("failed | 1 of 6 items failed: item 5: position at ($.geometry).type: \"LineString\" is not a"
                + " GeoJSON Point | {\"items\": 6, \"positions\": 4, \"failed_items\": 1, \"observations\": 5}",
                m.outcome());
        assertEquals(List.of("eu1 42.35 13.4", "pac1 38.3 142.37", "pac2 19.41 -155.28", "pac3 34.05 -118.24"),
                m.positions());
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void swappedLatLonFailTheirItemsWithAHintAndTheRestIsStored(Host host, TestDatabase db) throws Exception {
        Mapped m = map("swapped", host, db, QUAKES_SWAPPED_RULE, "geojson_quakes_mixed.json");
        String swapped = " look swapped: on 3 of 4 items lat is outside [-90, 90] while lon is inside; GeoJSON and many"
                + " feeds write [lon, lat]: swap the lat and lon paths, or read a GeoJSON geometry with"
                + " \"position\": {\"geojson\": \"$.geometry\"}";
        assertEquals("failed | 5 of 6 items failed: item 1: lat at $.geometry.coordinates[0]: 142.37 and lon at"
                + " $.geometry.coordinates[1]: 38.30" + swapped + "; item 2: lat at $.geometry.coordinates[0]: -155.28"
                + " and lon at $.geometry.coordinates[1]: 19.41" + swapped + "; item 3: lat at $.geometry.coordinates[0]:"
                + " -118.24 and lon at $.geometry.coordinates[1]: 34.05" + swapped + "; item 4: lat at"
                + " $.geometry.coordinates[0]: 13.40 and lon at $.geometry.coordinates[1]: 42.35" + swapped
                + "; item 5: lat at $.geometry.coordinates[0]: [13.40, 42.35] (array) is not a number"
                + " | {\"items\": 6, \"positions\": 0, \"failed_items\": 5, \"observations\": 1}",
                m.outcome());
        assertEquals(List.of("nogeo nogeo 2026-11-27 11:56:40+00 {\"mag\": 1.1}"), m.observations());
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void gbfsVersionOneWritesBooleansAsNumbersAndSomeTimesInMilliseconds(Host host, TestDatabase db) throws Exception {
        Mapped m = map("gbfs1", host, db, GBFS_V1_RULE, "gbfs_station_status_v1.json");
        assertEquals("failed | 2 of 4 items failed: item 3: field \"renting\" at $.is_renting: 2 is not a boolean"
                + " (true/false, yes/no or 1/0); item 4: timestamp at $.last_reported: 1795780795123 is"
                + " +58876-01-10T22:38:43Z as epoch seconds, not between 1990 and 2100; as epoch_ms it is"
                + " 2026-11-27T11:59:55.123Z: use \"format\": \"epoch_ms\" | {\"items\": 4, \"warnings\": [\"field"
                + " \\\"ebikes\\\" at $.num_ebikes_avail matched nothing in any of 4 items\"], \"positions\": 0,"
                + " \"failed_items\": 2, \"observations\": 2}",
                m.outcome());
        assertEquals(List.of(
                "72 72 2026-11-27 11:59:00+00 {\"bikes\": 7, \"renting\": true}",
                "79 79 2026-11-27 11:58:20+00 {\"bikes\": 1024, \"renting\": false}"),
                m.observations());
        assertEquals(List.of("72 {\"installed\": true}", "79 {\"installed\": true}"),
                m.targets());
    }
}
