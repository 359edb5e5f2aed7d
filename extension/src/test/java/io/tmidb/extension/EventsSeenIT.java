// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@code tmi.events_seen}, the WebSocket stream's read: each reader gets what the listener rule
 * lets it read within the fields it asked for, and the session keeps its readers, so that a read
 * with NULL readers answers as the last call that gave them.
 */
@TmidbTest
class EventsSeenIT {
    /** Readers by place (1-based): speakers, the fleet (kind bike, battery), one bike, a mix, nobody. */
    private static List<String> readerList;
    private static String readers;
    private static long before;

    @BeforeAll
    static void data(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            before = scalarLong(c, "SELECT coalesce(max(event_id), 0) FROM tmi.events_since(0, 100000)");
            String bike1 = scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\"}', 'SB1')");
            String bike2 = scalar(c, "SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\"}', 'SB2')");
            String scooter = scalar(c, "SELECT tmi.add_target('Scooter 1', 'scooter', '{\"battery\": 50}', 'SS1')");
            st.execute("SELECT tmi.observe('" + bike1 + "', '2026-12-01 10:00Z', '{\"battery\": 79, \"speed_kmh\": 12}')");
            st.execute("SELECT tmi.observe('" + bike2 + "', '2026-12-01 10:00Z', '{\"battery\": 19, \"speed_kmh\": 3}')");
            st.execute("SELECT tmi.observe('" + scooter + "', '2026-12-01 10:00Z', '{\"battery\": 49}')");
            // an alarm's value may be of any field: only readers of all fields get it
            st.execute("INSERT INTO tmi.event_log (event_type, kind, target_id, payload) VALUES ('alarm.opened', 'bike', '"
                    + bike1 + "', '{\"rule\": \"low\", \"value\": 79}')");
            st.execute("SELECT tmi.add_listener('fleet'), tmi.add_listener('one'), tmi.add_listener('mixed'), tmi.add_listener('none')");
            st.execute("SELECT tmi.subscribe('fleet', 'bike', ARRAY['battery']), tmi.subscribe('one', '" + bike1 + "'::uuid),"
                    + " tmi.subscribe('mixed', 'bike', ARRAY['model']), tmi.subscribe('mixed', '" + bike1 + "'::uuid, ARRAY['battery'])");
            String fleet = scalar(c, "SELECT tmi.listener_scope('fleet')");
            String mixed = scalar(c, "SELECT tmi.listener_scope('mixed')");
            readerList = List.of(reader("null", "null"), reader("null", "[\"battery\"]"), reader(fleet, "null"), reader(fleet, "[\"model\"]"),
                    reader(scalar(c, "SELECT tmi.listener_scope('one')"), "null"), reader(mixed, "null"),
                    reader(mixed, "[\"speed_kmh\", \"battery\"]"), reader(scalar(c, "SELECT tmi.listener_scope('none')"), "null"));
            readers = "[" + String.join(", ", readerList) + "]";
        }
    }

    private static String reader(String scope, String fields) {
        return "{\"scope\": " + scope + ", \"fields\": " + fields + "}";
    }

    /**
     * What each reader got of the events after {@code after}: "event_type target reader" to the
     * part the fields narrow (a reading's payload, a target's meta, an alarm's value or null).
     */
    private static Map<String, String> seen(Connection c, long after, int max, String readers) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT f.event_type || ' ' || t.name || ' ' || n,"
                + " CASE WHEN f.event_type LIKE 'obs%' THEN s.doc -> 'obs' -> 0 -> 'payload'"
                + "      WHEN f.event_type LIKE 'target.%' THEN s.doc -> 'meta' ELSE coalesce(s.doc -> 'value', 'null') END::text"
                + " FROM tmi.events_seen(?, ?, ?::jsonb) f CROSS JOIN unnest(f.readers) AS n"
                + " JOIN tmi.target t ON t.target_id = f.target_id CROSS JOIN LATERAL (SELECT f.seen::jsonb AS doc) s")) {
            ps.setLong(1, after);
            ps.setInt(2, max);
            ps.setString(3, readers);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    @Test
    void eachReaderGetsWhatTheRuleAndItsFieldsAllow(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            Map<String, String> all = seen(c, before, 1000, readers);
            assertEquals("{\"battery\": 79, \"speed_kmh\": 12}", all.get("obs Bike 1 1"));
            assertEquals("{\"battery\": 79}", all.get("obs Bike 1 2"));
            assertEquals("{\"battery\": 79}", all.get("obs Bike 1 3"));
            assertEquals("{}", all.get("obs Bike 1 4"), "asked for a field the rule does not allow: none");
            assertEquals("{\"battery\": 79, \"speed_kmh\": 12}", all.get("obs Bike 1 5"));
            assertEquals("{\"battery\": 79}", all.get("obs Bike 1 6"), "the kind's fields and the target's together");
            assertEquals("{\"battery\": 79}", all.get("obs Bike 1 7"));
            assertEquals("{}", all.get("obs Bike 2 6"));
            assertFalse(all.containsKey("obs Bike 2 5"), "subscribed to another bike");
            assertEquals("{\"battery\": 49}", all.get("obs Scooter 1 1"));
            assertFalse(all.containsKey("obs Scooter 1 3"), "subscribed to bikes");
            assertEquals("{\"model\": \"city\", \"battery\": 80}", all.get("target.created Bike 1 6"));
            assertEquals("{}", all.get("target.created Bike 1 4"));
            assertEquals("79", all.get("alarm.opened Bike 1 1"));
            assertEquals("79", all.get("alarm.opened Bike 1 5"), "a reader of all the bike's fields");
            assertEquals("null", all.get("alarm.opened Bike 1 3"));
            assertEquals("null", all.get("alarm.opened Bike 1 7"));
            assertEquals(List.of(), all.keySet().stream().filter(k -> k.endsWith(" 8")).toList(), "no subscription: nothing");
        }
    }

    @Test
    void aSessionReadsForTheReadersItWasGivenLast(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            Map<String, String> all = seen(c, before, 1000, readers);
            // the same answers in small batches, the readers given once
            Map<String, String> batched = new TreeMap<>(seen(c, before, 2, readers));
            long last = scalarLong(c, "SELECT max(event_id) FROM tmi.event_log");
            for (long after = before + 2; after < last; after += 2) {
                batched.putAll(seen(c, after, 2, null));
            }
            assertEquals(all, batched);
            // other readers replace them: places refer to the new list
            String fleetSecond = "[" + readerList.get(7) + ", " + readerList.get(2) + "]";
            Map<String, String> two = seen(c, before, 1000, fleetSecond);
            assertEquals("{\"battery\": 79}", two.get("obs Bike 1 2"));
            assertEquals(two, seen(c, before, 1000, null));
        }
    }

    @Test
    void aTargetThatChangesKindIsSeenByItsNewKind(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            long start = scalarLong(c, "SELECT coalesce(max(event_id), 0) FROM tmi.events_since(0, 100000)");
            String car = scalar(c, "SELECT tmi.add_target('Car 1', 'car', '{}', 'SC1')");
            st.execute("SELECT tmi.observe('" + car + "', '2026-12-01 10:00Z', '{\"battery\": 49}')");
            // the session now knows who sees the car as a car
            assertFalse(seen(c, start, 1000, readers).containsKey("obs Car 1 3"));
            long middle = scalarLong(c, "SELECT max(event_id) FROM tmi.events_since(0, 100000)");
            st.execute("UPDATE tmi.target SET kind = 'bike' WHERE target_id = '" + car + "'");
            st.execute("SELECT tmi.observe('" + car + "', '2026-12-01 11:00Z', '{\"battery\": 48, \"speed_kmh\": 50}')");
            assertEquals("{\"battery\": 48}", seen(c, middle, 1000, null).get("obs Car 1 3"));
        }
    }

    @Test
    void aSessionWithoutReadersIsToldToGiveThem(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            Sql.assertState(c, "22023", "SELECT * FROM tmi.events_seen(0, 10, NULL)");
        }
    }
}
