// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Mapping rules on documents shaped like real feeds, with the same results on both hosts. */
@TmidbTest
class MappingIT {
    static final String GBFS_RULE = """
            {"iterate": "$.data.stations[*]", "kind": "bike_station", "key": "$.station_id",
             "timestamp": {"path": "$.last_reported", "format": "epoch_s"},
             "fields": {"bikes": {"path": "$.num_bikes_available", "type": "integer"},
                        "docks": {"path": "$.num_docks_available", "type": "integer"},
                        "renting": {"path": "$.is_renting", "type": "boolean"},
                        "installed": {"path": "$.is_installed", "type": "boolean", "as": "attribute"}}}""";
    static final String QUAKE_RULE = """
            {"iterate": "$.features[*]", "kind": "quake", "key": "$.id", "name": "$.properties.place",
             "timestamp": {"path": "$.properties.time", "format": "epoch_ms"},
             "lat": "$.geometry.coordinates[1]", "lon": "$.geometry.coordinates[0]",
             "fields": {"mag": {"path": "$.properties.mag", "type": "number"},
                        "depth_km": {"path": "$.geometry.coordinates[2]", "type": "number"},
                        "felt": {"path": "$.properties.felt", "type": "integer"},
                        "mag_type": {"path": "$.properties.magType", "type": "text", "as": "attribute"}}}""";
    static final String SENSOR_RULE = """
            {"iterate": "$[*]", "kind": "greenhouse_sensor", "key": "$.sensor",
             "timestamp": {"path": "$.t", "format": "epoch_ms"},
             "fields": {"temp_c": {"path": "$.temp_dc", "type": "number", "scale": 0.1},
                        "humidity": {"path": "$.humidity_pct", "type": "number", "scale": 0.01},
                        "temp_f": {"path": "$.temp_dc", "type": "number", "scale": 0.18, "offset": 32}}}""";

    @ParameterizedTest
    @EnumSource(Host.class)
    void gbfsStationStatusKeepsGoodStationsAndNamesTheBadOne(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("gbfs_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            rule(c, "city-bikes", GBFS_RULE);
            long raw = ingest(c, "city-bikes", Feeds.read("gbfs_station_status.json"));
            running.awaitIdle();
            assertEquals("failed", scalar(c, "SELECT status FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals("1 of 4 items failed: item 3: field \"bikes\" at $.num_bikes_available: \"many\" is not an integer",
                    scalar(c, "SELECT error FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals("{\"items\": 4, \"positions\": 0, \"failed_items\": 1, \"observations\": 3}",
                    scalar(c, "SELECT counts::text FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals(List.of(
                    "ST-101 2026-11-27 11:59:00+00 {\"bikes\": 7, \"docks\": 12, \"renting\": true} " + raw + " 1",
                    "ST-102 2026-11-27 11:58:20+00 {\"bikes\": 0, \"docks\": 19, \"renting\": false} " + raw + " 2",
                    "ST-104 2026-11-27 11:59:50+00 {\"bikes\": 15, \"docks\": 5, \"renting\": true} " + raw + " 4"),
                    Sql.column(c, "SELECT t.ext_key || ' ' || o.ts || ' ' || o.payload || ' ' || o.raw_id || ' ' || o.raw_item"
                            + " FROM tmi.ts_obs o JOIN tmi.target t USING (target_id) ORDER BY t.ext_key"));
            assertEquals(List.of("ST-101 {\"installed\": true}", "ST-102 {\"installed\": true}", "ST-104 {\"installed\": true}"),
                    Sql.column(c, "SELECT ext_key || ' ' || meta FROM tmi.target WHERE kind = 'bike_station' ORDER BY ext_key"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void remapAfterFixingTheRuleNeverDuplicates(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("remap_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            rule(c, "city-bikes", GBFS_RULE.replace("\"$.num_bikes_available\", \"type\": \"integer\"",
                    "\"$.bikes_available\", \"type\": \"integer\", \"required\": true"));
            long raw = ingest(c, "city-bikes", Feeds.read("gbfs_station_status.json"));
            long unmapped = ingest(c, "no-rule-yet", "{\"value\": 1}");
            running.awaitIdle();
            assertEquals("4 of 4 items failed: item 1: field \"bikes\" at $.bikes_available found nothing but required;"
                    + " item 2: field \"bikes\" at $.bikes_available found nothing but required;"
                    + " item 3: field \"bikes\" at $.bikes_available found nothing but required;"
                    + " item 4: field \"bikes\" at $.bikes_available found nothing but required",
                    scalar(c, "SELECT error FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals("unmapped no mapping rule for source \"no-rule-yet\"",
                    scalar(c, "SELECT status || ' ' || error FROM tmi.raw_bucket WHERE raw_id = " + unmapped));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));

            rule(c, "city-bikes", GBFS_RULE);
            assertEquals(1, scalarLong(c, "SELECT tmi.remap('city-bikes')"));
            running.awaitIdle();
            assertEquals(3, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            // mapping everything again replaces the observations it made
            assertEquals(1, scalarLong(c, "SELECT tmi.remap('city-bikes', include_mapped => true)"));
            running.awaitIdle();
            assertEquals(3, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(0, scalarLong(c, "SELECT count(*) - count(DISTINCT (raw_id, raw_item)) FROM tmi.ts_obs"));

            rule(c, "no-rule-yet", "{\"kind\": \"counter\", \"key\": \"$.value\"}");
            assertEquals(1, scalarLong(c, "SELECT tmi.remap('no-rule-yet')"));
            running.awaitIdle();
            assertEquals("mapped", scalar(c, "SELECT status FROM tmi.raw_bucket WHERE raw_id = " + unmapped));
            assertEquals("1", scalar(c, "SELECT name FROM tmi.target WHERE kind = 'counter'"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void geoJsonEventsBecomeTargetsWithPositions(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("geojson_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            rule(c, "quakes", QUAKE_RULE);
            long raw = ingest(c, "quakes", Feeds.read("geojson_events.json"));
            running.awaitIdle();
            assertEquals("1 of 3 items failed: item 3: lat at $.geometry.coordinates[1]: 95.0 is outside [-90, 90]",
                    scalar(c, "SELECT error FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals(List.of(
                    "ev2026abcd 12 km SSW of Pohang {\"mag_type\": \"mb\"} {\"mag\": 4.6, \"felt\": 210, \"depth_km\": 10.5}",
                    "ev2026abce off the east coast {\"mag_type\": \"ml\"} {\"mag\": 2.1, \"depth_km\": 22}"),
                    Sql.column(c, "SELECT t.ext_key || ' ' || t.name || ' ' || t.meta || ' ' || o.payload"
                            + " FROM tmi.target t JOIN tmi.ts_obs o USING (target_id) ORDER BY t.ext_key"));
            assertEquals(List.of("12 km SSW of Pohang 2026-11-27 11:55:00+00"),
                    Sql.column(c, "SELECT name || ' ' || seen_at FROM tmi.near(35.93, 129.34, 5000)"));
            assertEquals(2, scalarLong(c, "SELECT count(*) FROM tmi.geo_trace"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void sensorReadingsWithEpochMillisecondsAndUnitConversion(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("sensors_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            rule(c, "greenhouse", SENSOR_RULE);
            long raw = ingest(c, "greenhouse", Feeds.read("sensor_readings.json"));
            running.awaitIdle();
            assertEquals("mapped {\"items\": 4, \"positions\": 0, \"failed_items\": 0, \"observations\": 4}",
                    scalar(c, "SELECT status || ' ' || counts FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals(List.of(
                    "greenhouse-1 2026-11-27 12:00:00+00 {\"temp_c\": 21.5, \"temp_f\": 70.7, \"humidity\": 0.415}",
                    "greenhouse-1 2026-11-27 12:01:00+00 {\"temp_c\": 21.9, \"temp_f\": 71.42, \"humidity\": 0.42}",
                    "greenhouse-2 2026-11-27 12:00:00+00 {\"temp_c\": 18.7, \"temp_f\": 65.66, \"humidity\": 0.88}",
                    "greenhouse-2 2026-11-27 12:01:00+00 {\"temp_c\": 18.6, \"temp_f\": 65.48}"),
                    Sql.column(c, "SELECT t.ext_key || ' ' || o.ts || ' ' || o.payload FROM tmi.ts_obs o"
                            + " JOIN tmi.target t USING (target_id) ORDER BY t.ext_key, o.ts"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void previewShowsWhatADocumentWouldBecomeAndWritesNothing(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("preview_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            String preview = running.preview(QUAKE_RULE, Feeds.read("geojson_events.json"));
            assertEquals("{\"kind\": \"quake\", \"items\": 3, \"errors\": [\"item 3: lat at $.geometry.coordinates[1]: 95.0 is"
                    + " outside [-90, 90]\"], \"targets\": [{\"name\": \"12 km SSW of Pohang\", \"ext_key\": \"ev2026abcd\","
                    + " \"attributes\": {\"mag_type\": \"mb\"}}, {\"name\": \"off the east coast\", \"ext_key\": \"ev2026abce\","
                    + " \"attributes\": {\"mag_type\": \"ml\"}}], \"warnings\": [], \"positions\": [{\"ts\": \"2026-11-27T11:55:00Z\", \"lat\":"
                    + " 35.9281, \"lon\": 129.3411, \"ext_key\": \"ev2026abcd\"}, {\"ts\": \"2026-11-27T11:57:00Z\", \"lat\": 37.11,"
                    + " \"lon\": 130.02, \"ext_key\": \"ev2026abce\"}], \"observations\": [{\"ts\": \"2026-11-27T11:55:00Z\","
                    + " \"ext_key\": \"ev2026abcd\", \"payload\": {\"mag\": 4.6, \"felt\": 210, \"depth_km\": 10.5}}, {\"ts\":"
                    + " \"2026-11-27T11:57:00Z\", \"ext_key\": \"ev2026abce\", \"payload\": {\"mag\": 2.1, \"depth_km\": 22}}]}",
                    preview);
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.target") + scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
        }
    }

    static void rule(Connection c, String source, String rule) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.add_mapping(?, CAST(? AS jsonb))")) {
            ps.setString(1, source);
            ps.setString(2, rule);
            ps.execute();
        }
    }

    static long ingest(Connection c, String source, String doc) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.ingest(?, CAST(? AS jsonb))")) {
            ps.setString(1, source);
            ps.setString(2, doc);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
