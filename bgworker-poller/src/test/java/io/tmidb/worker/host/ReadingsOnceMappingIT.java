// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static io.tmidb.worker.host.MappingIT.GBFS_RULE;
import static io.tmidb.worker.host.MappingIT.ingest;
import static io.tmidb.worker.host.MappingIT.rule;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A feed fetched again maps to the readings it changed, and nothing else: unchanged stations store
 * nothing, raise no events and no alarms; a station whose values changed at the same instant is
 * corrected with one event and its alarms evaluated again. On both hosts.
 */
@TmidbTest
class ReadingsOnceMappingIT {
    private static final String TRACKS_RULE = """
            {"iterate": "$.tracks[*]", "kind": "tracker", "key": "$.id",
             "timestamp": {"path": "$.t", "format": "epoch_s"}, "lat": "$.lat", "lon": "$.lon",
             "fields": {"speed": {"path": "$.speed", "type": "number"}}}""";

    @ParameterizedTest
    @EnumSource(Host.class)
    void aFeedFetchedAgainStoresOnlyWhatChanged(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("refetch_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Central Station', 'bike_station', '{}', 'ST-101')");
            st.execute("SELECT tmi.add_alarm('bike_station', 'bikes', '>', 10)");
            rule(c, "city-bikes", GBFS_RULE);
            String gbfs = Feeds.read("gbfs_station_status.json");
            ingest(c, "city-bikes", gbfs);
            running.awaitIdle();
            assertEquals(3, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(List.of("ST-104 active"), alarms(c));
            long seen = scalarLong(c, "SELECT max(event_id) FROM tmi.events_since(0, 1000)");

            long again = ingest(c, "city-bikes", gbfs);
            running.awaitIdle();
            assertEquals("{\"items\": 4, \"positions\": 0, \"failed_items\": 1, \"observations\": 0, \"observations_unchanged\": 3}",
                    scalar(c, "SELECT counts::text FROM tmi.raw_bucket WHERE raw_id = " + again));
            assertEquals(3, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(List.of(), Sql.column(c, "SELECT event_type FROM tmi.events_since(" + seen + ", 100)"));
            assertEquals(List.of("ST-104 active"), alarms(c));
            assertEquals("Central Station", scalar(c, "SELECT name FROM tmi.target WHERE ext_key = 'ST-101'"),
                    "a rule without a name never renames a target");

            // ST-101 reports other values for the same instant, ST-102 a new reading
            long changed = ingest(c, "city-bikes", gbfs.replace("\"num_bikes_available\": 7", "\"num_bikes_available\": 12")
                    .replace("\"last_reported\": 1795780700", "\"last_reported\": 1795780760"));
            running.awaitIdle();
            assertEquals("{\"items\": 4, \"positions\": 0, \"failed_items\": 1, \"observations\": 1,"
                    + " \"observations_corrected\": 1, \"observations_unchanged\": 1}",
                    scalar(c, "SELECT counts::text FROM tmi.raw_bucket WHERE raw_id = " + changed));
            assertEquals(4, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals("{\"bikes\": 12, \"docks\": 12, \"renting\": true} " + changed, scalar(c,
                    "SELECT payload::text || ' ' || raw_id FROM tmi.ts_obs WHERE ts = '2026-11-27 11:59:00Z'"));
            assertEquals(List.of("obs ST-102", "obs.corrected ST-101"), Sql.column(c,
                    "SELECT e.event_type || ' ' || t.ext_key FROM tmi.events_since(" + seen + ", 100) e JOIN tmi.target t"
                            + " USING (target_id) WHERE e.event_type LIKE 'obs%' ORDER BY 1"));
            assertEquals(List.of("ST-101 active", "ST-104 active"), alarms(c), "the corrected reading raised its alarm");
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void positionsRepeatedOrCorrectedAreCounted(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("positions_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            rule(c, "trackers", TRACKS_RULE);
            long first = ingest(c, "trackers", """
                    {"tracks": [{"id": "A", "t": 1795780800, "lat": 37.50, "lon": 127.00, "speed": 3},
                                {"id": "A", "t": 1795780800, "lat": 37.51, "lon": 127.00, "speed": 3},
                                {"id": "B", "t": 1795780800, "lat": 35.10, "lon": 129.00, "speed": 0}]}""");
            running.awaitIdle();
            assertEquals("{\"items\": 3, \"positions\": 2, \"failed_items\": 0, \"observations\": 2,"
                    + " \"positions_repeated\": 1, \"observations_repeated\": 1}",
                    scalar(c, "SELECT counts::text FROM tmi.raw_bucket WHERE raw_id = " + first));
            assertEquals(List.of("A 37.51", "B 35.1"), Sql.column(c,
                    "SELECT t.ext_key || ' ' || g.lat FROM tmi.geo_trace g JOIN tmi.target t USING (target_id) ORDER BY 1"),
                    "the document's last position at an instant is kept");

            long second = ingest(c, "trackers", """
                    {"tracks": [{"id": "A", "t": 1795780800, "lat": 37.51, "lon": 127.00, "speed": 3},
                                {"id": "B", "t": 1795780800, "lat": 35.20, "lon": 129.00, "speed": 0}]}""");
            running.awaitIdle();
            assertEquals("{\"items\": 2, \"positions\": 0, \"failed_items\": 0, \"observations\": 0,"
                    + " \"positions_corrected\": 1, \"positions_unchanged\": 1, \"observations_unchanged\": 2}",
                    scalar(c, "SELECT counts::text FROM tmi.raw_bucket WHERE raw_id = " + second));
            assertEquals(List.of("A 37.51", "B 35.2"), Sql.column(c,
                    "SELECT t.ext_key || ' ' || g.lat FROM tmi.geo_trace g JOIN tmi.target t USING (target_id) ORDER BY 1"));
            assertEquals(List.of("position.corrected B"), Sql.column(c, "SELECT e.event_type || ' ' || t.ext_key"
                    + " FROM tmi.event_log e JOIN tmi.target t USING (target_id) WHERE e.event_type = 'position.corrected'"));
        }
    }

    /** Open alarms: target key and state. */
    private static List<String> alarms(Connection c) throws java.sql.SQLException {
        return Sql.column(c, "SELECT t.ext_key || ' ' || a.state FROM tmi.alarm_event a JOIN tmi.target t USING (target_id)"
                + " ORDER BY t.ext_key");
    }
}
