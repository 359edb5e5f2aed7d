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

    /**
     * The batch merges its own readings of one instant as the per-row check would have, in item
     * order (later fields win, the last item is the reading's source), in one stored row and one
     * event; a plain INSERT later in the same transaction is checked again.
     */
    @ParameterizedTest
    @EnumSource(Host.class)
    void readingsOfOneInstantInABatchAreMergedOnce(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("merged_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            rule(c, "trackers", TRACKS_RULE.replace("\"speed\": {\"path\": \"$.speed\", \"type\": \"number\"}",
                    "\"speed\": {\"path\": \"$.speed\", \"type\": \"number\"}, \"heading\": {\"path\": \"$.h\", \"type\": \"number\"}"));
            long raw = ingest(c, "trackers", """
                    {"tracks": [{"id": "A", "t": 1795780800, "lat": 37.50, "lon": 127.00, "speed": 3, "h": 90},
                                {"id": "A", "t": 1795780800, "lat": 37.51, "lon": 127.00, "speed": 4}]}""");
            running.awaitIdle();
            // WITH ORDINALITY numbers items from 1: the second item is the reading's source
            assertEquals("{\"speed\": 4, \"heading\": 90} " + raw + " 2", scalar(c,
                    "SELECT payload::text || ' ' || raw_id || ' ' || raw_item FROM tmi.ts_obs"));
            assertEquals(List.of("obs"), Sql.column(c, "SELECT event_type FROM tmi.event_log WHERE event_type LIKE 'obs%'"));

            c.setAutoCommit(false);
            long before = scalarLong(c, "SELECT count(*) FROM tmi.event_log");
            ingest(c, "trackers", """
                    {"tracks": [{"id": "A", "t": 1795780860, "lat": 37.52, "lon": 127.00, "speed": 5}]}""");
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) SELECT target_id, ts, '{\"speed\": 6}' FROM tmi.ts_obs"
                    + " WHERE raw_id = " + raw);
            c.commit();
            c.setAutoCommit(true);
            running.awaitIdle();
            assertEquals(2, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"), "the INSERT merged into the stored reading");
            assertEquals("{\"speed\": 6, \"heading\": 90}", scalar(c, "SELECT payload::text FROM tmi.ts_obs WHERE raw_id IS NULL"));
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.event_log WHERE event_type = 'obs.corrected' AND log_id > "
                    + before), "the plain INSERT corrected the reading with its event");
        }
    }

    /**
     * A reading that another writer stores while the worker maps the same target and time is not
     * lost: the worker's statement is refused by the key, the document mapped again, and the two
     * readings merged into one.
     */
    @org.junit.jupiter.api.Test
    void aReadingStoredMeanwhileIsMergedNotLost(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("meanwhile", false);
        try (Connection c = d.connect(); Statement st = c.createStatement(); Connection other = d.connect();
             Statement ost = other.createStatement()) {
            rule(c, "trackers", TRACKS_RULE);
            st.execute("SELECT tmi.add_target('A', 'tracker', '{}', 'A')");
            other.setAutoCommit(false);
            ost.execute("SELECT tmi.observe(tmi.target_id('tracker', 'A'), to_timestamp(1795780800), '{\"battery\": 80}')");
            long raw = ingest(c, "trackers", """
                    {"tracks": [{"id": "A", "t": 1795780800, "lat": 37.50, "lon": 127.00, "speed": 3}]}""");
            try (Host.Running running = Host.WORKER.start(d)) {
                // the worker's mapping statement (shown by its start: the text is cut at 1 kB) waits for the other writer's row
                long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
                while (scalarLong(c, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'transactionid'"
                        + " AND query LIKE 'WITH targets AS%'") == 0) {
                    if (System.nanoTime() > deadline) {
                        org.junit.jupiter.api.Assertions.fail("the worker never reached the row: " + Sql.column(c,
                                "SELECT coalesce(wait_event_type, '-') || ' ' || coalesce(wait_event, '-') || ' ' || left(query, 120)"
                                        + " FROM pg_stat_activity WHERE datname = current_database()")
                                + " " + Sql.column(c, "SELECT status || ' ' || coalesce(error, '') FROM tmi.raw_bucket"));
                    }
                    Thread.sleep(20);
                }
                other.commit();
                running.awaitIdle();
            }
            assertEquals("mapped", scalar(c, "SELECT status FROM tmi.raw_bucket WHERE raw_id = " + raw));
            assertEquals("{\"speed\": 3, \"battery\": 80} 1", scalar(c,
                    "SELECT payload::text || ' ' || count(*) OVER () FROM tmi.ts_obs"));
        }
    }

    /** Open alarms: target key and state. */
    private static List<String> alarms(Connection c) throws java.sql.SQLException {
        return Sql.column(c, "SELECT t.ext_key || ' ' || a.state FROM tmi.alarm_event a JOIN tmi.target t USING (target_id)"
                + " ORDER BY t.ext_key");
    }
}
