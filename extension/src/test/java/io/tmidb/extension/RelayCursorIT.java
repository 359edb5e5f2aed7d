// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Relay cursors: they only move forward, to numbered events, and show how far behind a relay is. */
@TmidbTest
class RelayCursorIT {

    @Test
    void lagIsCountedInEventsAndSeconds(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("lag", false);
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            assertEquals("ok no relay has run (tmidb-worker relays events to NATS JetStream)",
                    scalar(c, "SELECT state || ' ' || detail FROM tmi.status() WHERE subsystem = 'relay'"));
            st.execute("INSERT INTO tmi.event_log (event_type, ts) VALUES ('old', now() - interval '90 seconds')");
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'l' || i, 'lamp', 'l' || i FROM generate_series(1, 4) i");
            st.execute("SELECT tmi.advance_relay_cursor('nats', 0)");
            // not numbered yet: still behind
            assertEquals(List.of("nats 5 true"), Sql.column(c,
                    "SELECT name || ' ' || events_behind || ' ' || (seconds_behind >= 90) FROM tmi.relay_status()"));
            String behind = scalar(c, "SELECT state || ' ' || detail FROM tmi.status() WHERE subsystem = 'relay'");
            assertTrue(behind.matches("attention nats: 5 events, [0-9]{2,}\\.[0-9] s behind"), behind);
            assertEquals(5, Sql.scalarLong(c, "SELECT count(*) FROM tmi.events_since(0)"));
            st.execute("SELECT tmi.advance_relay_cursor('nats', 1)");
            assertEquals(List.of("1 4 true"), Sql.column(c,
                    "SELECT last_event_id || ' ' || events_behind || ' ' || (seconds_behind < 60) FROM tmi.relay_status()"));
            st.execute("SELECT tmi.advance_relay_cursor('nats', 5)");
            assertEquals("ok nats: 0 events, 0.0 s behind", scalar(c,
                    "SELECT state || ' ' || detail FROM tmi.status() WHERE subsystem = 'relay'"));
            assertEquals("5 lamp", scalar(c, "SELECT r.last_event_id || ' ' || e.kind FROM tmi.relay_cursor r"
                    + " JOIN tmi.event_log e ON e.event_id = r.last_event_id AND e.ts = r.last_event_ts"));
        }
    }

    @Test
    void badCursorMovesAreRefusedAndChangeNothing(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("bad", false);
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'b' || i, 'buoy', 'b' || i FROM generate_series(1, 3) i");
            st.execute("SELECT count(*) FROM tmi.events_since(0)");
            st.execute("SELECT tmi.advance_relay_cursor('nats', 2)");
            ServerErrorMessage back = assertFails(c, "22023", "SELECT tmi.advance_relay_cursor('nats', 1)");
            assertTrue(back.getDetail().contains("at event 2"), back.getDetail());
            assertFails(c, "22023", "SELECT tmi.advance_relay_cursor('nats', 4)");
            assertFails(c, "22023", "SELECT tmi.advance_relay_cursor('nats', -1)");
            assertFails(c, "22023", "SELECT tmi.advance_relay_cursor('NATS relay', 1)");
            assertFails(c, "22004", "SELECT tmi.advance_relay_cursor(NULL, 1)");
            assertFails(c, "22004", "SELECT tmi.advance_relay_cursor('nats', NULL)");
            assertEquals(List.of("nats 2"), Sql.column(c, "SELECT name || ' ' || last_event_id FROM tmi.relay_cursor"));
        }
    }

    @Test
    void listenersSeeTheLagWithoutReadingEvents(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SET ROLE tmi_listener");
            assertEquals(0, Sql.scalarLong(c, "SELECT count(*) FROM tmi.relay_status()"));
            Sql.assertState(c, "42501", "SELECT * FROM tmi.event_log");
            st.execute("RESET ROLE");
        }
    }
}
