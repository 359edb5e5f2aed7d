// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transactional outbox: every change becomes an event, read in commit order without gaps. */
@TmidbTest
class EventsIT {

    @Test
    void everyChangeBecomesAnEvent(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("changes", false);
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('Tram 3', 'tram', '{\"line\": 3}', 'T3')");
            st.execute("SELECT tmi.add_target('Tram 3', 'tram', '{\"line\": 3}', 'T3')"); // no change: no event
            st.execute("SELECT tmi.add_target('Tram 3', 'tram', '{\"line\": 4}', 'T3')");
            st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES ('" + id + "', '2026-11-27 10:00Z', '{\"v\": 1}'),"
                    + " ('" + id + "', '2026-11-27 09:00Z', '{\"v\": 0}')");
            st.execute("SELECT tmi.observe('" + id + "', '2026-11-27 11:00Z', '{\"v\": 2}', 37.5, 127.0)");
            assertEquals(List.of(
                    "1 target.created tram {\"line\": 3}",
                    "2 target.updated tram {\"line\": 4}",
                    "3 obs tram [{\"v\": 0}, {\"v\": 1}]",
                    "4 obs tram [{\"v\": 2}]",
                    "5 position tram 37.5"),
                    Sql.column(c, "SELECT event_id || ' ' || event_type || ' ' || kind || ' ' || CASE event_type"
                            + " WHEN 'obs' THEN jsonb_path_query_array(payload, '$.obs[*].payload')::text"
                            + " WHEN 'position' THEN payload->>'lat' ELSE payload->>'meta' END"
                            + " FROM tmi.events_since(0, 100)"));
            assertEquals(List.of("4", "5"), Sql.column(c, "SELECT event_id FROM tmi.events_since(3)"));
            assertEquals(List.of("1", "2"), Sql.column(c, "SELECT event_id FROM tmi.events_since(0, 2)"));
            assertFails(c, "22023", "SELECT * FROM tmi.events_since(0, 0)");
        }
    }

    @Test
    void eventsAreNumberedInCommitOrderSoACursorMissesNothing(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("order", false);
        try (Connection early = fresh.connect(); Connection late = fresh.connect(); Connection reader = fresh.connect();
             Statement a = early.createStatement(); Statement b = late.createStatement()) {
            early.setAutoCommit(false);
            late.setAutoCommit(false);
            // 'early' writes first (lower log ids) but commits last
            a.execute("SELECT tmi.add_target('first written', 'thing', '{}', 'A')");
            b.execute("SELECT tmi.add_target('first committed', 'thing', '{}', 'B')");
            late.commit();
            // while 'early' may still add events below 'late''s, nothing is numbered
            assertEquals(List.of(), Sql.column(reader, "SELECT event_id FROM tmi.events_since(0)"));
            early.commit();
            List<String> events = Sql.column(reader, "SELECT event_id || ' ' || (payload->>'name') FROM tmi.events_since(0)");
            assertEquals(List.of("1 first written", "2 first committed"), events);
            // an aborted transaction leaves no gap
            a.execute("SELECT tmi.add_target('rolled back', 'thing', '{}', 'C')");
            early.rollback();
            b.execute("SELECT tmi.add_target('kept', 'thing', '{}', 'D')");
            late.commit();
            assertEquals(List.of("3 kept"), Sql.column(reader, "SELECT event_id || ' ' || (payload->>'name') FROM tmi.events_since(2)"));
        }
    }

    /**
     * Readers commit their numbering turns without waiting for the WAL flush, so a crash may lose
     * the last turns; numbering again from what is left must give every event the id it had.
     */
    @Test
    void aNumberingTurnLostInACrashIsRedoneWithTheSameIds(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("renumber", false);
        try (Connection old = fresh.connect(); Connection young = fresh.connect(); Connection reader = fresh.connect();
             Statement o = old.createStatement(); Statement y = young.createStatement(); Statement r = reader.createStatement()) {
            old.setAutoCommit(false);
            o.execute("SELECT pg_current_xact_id()"); // 'old' has the older xid but writes its event later
            y.execute("SELECT tmi.add_target('young 1', 'thing', '{}', 'Y1')");
            assertEquals(0, scalarLong(reader, "SELECT tmi.sequence_events()"), "'old' could still add an earlier event");
            o.execute("SELECT tmi.add_target('old', 'thing', '{}', 'O')");
            old.commit();
            assertEquals(2, scalarLong(reader, "SELECT tmi.sequence_events()"));
            y.execute("SELECT tmi.add_target('young 2', 'thing', '{}', 'Y2')");
            assertEquals(1, scalarLong(reader, "SELECT tmi.sequence_events()"));
            String ids = "SELECT string_agg(event_id || ' ' || (payload->>'name'), ', ' ORDER BY log_id) FROM tmi.event_log";
            assertEquals("2 young 1, 1 old, 3 young 2", scalar(reader, ids), "turns number by transaction, then log order");

            r.execute("UPDATE tmi.event_log SET event_id = NULL WHERE event_id > 2"); // the last turn is lost
            assertEquals(1, scalarLong(reader, "SELECT tmi.sequence_events()"));
            assertEquals("2 young 1, 1 old, 3 young 2", scalar(reader, ids));
            r.execute("UPDATE tmi.event_log SET event_id = NULL"); // both turns are lost
            assertEquals(3, scalarLong(reader, "SELECT tmi.sequence_events()"));
            assertEquals("2 young 1, 1 old, 3 young 2", scalar(reader, ids));
        }
    }

    @Test
    void aSequencerWaitsBrieflyForABusyOneThenReadsWhatIsNumbered(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("busy", false);
        try (Connection busy = fresh.connect(); Connection writer = fresh.connect(); Connection reader = fresh.connect();
             Statement b = busy.createStatement(); Statement w = writer.createStatement()) {
            busy.setAutoCommit(false);
            b.execute("SELECT tmi.sequence_events()"); // holds the sequencing lock until it commits
            w.execute("SELECT tmi.add_target('waiting', 'thing', '{}', 'W')");
            assertEquals(0, scalarLong(reader, "SELECT tmi.sequence_events()"), "gave up after its lock_timeout");
            assertEquals(0, scalarLong(reader, "SELECT count(*) FROM tmi.events_since(0)"));
            busy.commit();
            assertEquals(List.of("1 waiting"), Sql.column(reader, "SELECT event_id || ' ' || (payload->>'name') FROM tmi.events_since(0)"));
        }
    }

    @Test
    void statusNamesTheTransactionThatHoldsEventsBack(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("held", false);
        try (Connection old = fresh.connect(); Connection writer = fresh.connect(); Connection reader = fresh.connect();
             Statement o = old.createStatement(); Statement w = writer.createStatement()) {
            String events = "SELECT state || ' ' || detail FROM tmi.status() WHERE subsystem = 'events'";
            assertEquals("ok 0 numbered, 0 to number", scalar(reader, events));
            old.setAutoCommit(false);
            o.execute("SELECT pg_current_xact_id()");
            String pid = scalar(old, "SELECT pg_backend_pid()");
            w.execute("SELECT tmi.add_target('waiting', 'thing', '{}', 'W')");
            String held = scalar(reader, events);
            assertTrue(held.matches("ok 1 committed events wait for an older transaction to end: pid " + pid
                    + " in database " + fresh.name() + " \\(.+\\), idle in transaction for [0-9.]+ s"), held);
            old.commit();
            assertEquals("ok 0 numbered, 1 to number", scalar(reader, events));
            assertEquals(1, scalarLong(reader, "SELECT tmi.sequence_events()"));
            assertEquals("ok 1 numbered, 0 to number", scalar(reader, events));
        }
    }

    @Test
    void consumersAreWokenWithTheLogIdOnCommit(TestDatabase db) throws SQLException {
        TestDatabase fresh = db.sibling("notify", false);
        try (Connection listener = fresh.connect(); Connection writer = fresh.connect(); Statement st = listener.createStatement()) {
            st.execute("LISTEN tmi_event");
            writer.setAutoCommit(false);
            try (Statement w = writer.createStatement()) {
                w.execute("SELECT tmi.add_target('Ferry', 'ferry', '{}', 'F1')");
                assertEquals(0, notifications(listener, 200).size(), "nothing before commit");
                writer.commit();
            }
            List<PGNotification> got = notifications(listener, 5_000);
            assertEquals(1, got.size());
            assertEquals(scalar(listener, "SELECT max(log_id) FROM tmi.event_log"), got.get(0).getParameter());
            assertTrue(got.get(0).getParameter().length() < 8000);
            assertEquals(1, scalarLong(listener, "SELECT count(*) FROM tmi.events_since(0)"));
        }
    }

    private static List<PGNotification> notifications(Connection c, int timeoutMs) throws SQLException {
        PGNotification[] n = c.unwrap(PGConnection.class).getNotifications(timeoutMs);
        return n == null ? List.of() : new ArrayList<>(List.of(n));
    }
}
