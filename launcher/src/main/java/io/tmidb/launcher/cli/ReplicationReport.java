// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * The replication lines of the node report. On a replica: whom it follows, whether it streams,
 * what it has received and replayed, and its replay lag — zero when it has replayed all it
 * received, else the age of the last transaction it replayed (which is how far behind what the
 * reader sees is). On a primary: one line per physical slot and per replica streaming without
 * one, from pg_stat_replication — the state, what was sent and replayed, the replay lag the
 * primary measured, and how much WAL the slot keeps for a replica that is away.
 */
final class ReplicationReport {
    private ReplicationReport() {
    }

    static void print(Connection c, PrintWriter out) throws SQLException {
        try (Statement st = c.createStatement()) {
            boolean replica;
            try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                replica = rs.getBoolean(1);
            }
            if (replica) {
                replica(st, out);
            } else {
                primary(st, out);
            }
        }
    }

    private static void replica(Statement st, PrintWriter out) throws SQLException {
        try (ResultSet rs = st.executeQuery("""
                SELECT w.status, w.sender_host, w.sender_port, current_setting('primary_conninfo'),
                       current_setting('primary_slot_name'), pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(),
                       coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0),
                       extract(epoch FROM now() - pg_last_xact_replay_timestamp())
                  FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true""")) {
            rs.next();
            String primary = rs.getString(2) != null ? rs.getString(2) + ":" + rs.getInt(3) : configuredPrimary(rs.getString(4));
            long behind = rs.getLong(8);
            double sinceReplay = rs.getDouble(9);
            String lag = behind == 0 ? "replay lag 0.0 s (all received WAL replayed)"
                    : String.format(Locale.ROOT, "replay lag %.1f s, %d bytes received and not yet replayed", sinceReplay, behind);
            out.printf("%-11s %-8s replica of %s through slot %s, received %s, replayed %s, %s%n", "replica",
                    rs.getString(1) == null ? "down" : rs.getString(1), primary, rs.getString(5),
                    rs.getString(6), rs.getString(7), rs.getString(1) == null ? lag + "; not connected to its primary" : lag);
        }
    }

    private static void primary(Statement st, PrintWriter out) throws SQLException {
        try (ResultSet rs = st.executeQuery("""
                SELECT s.slot_name, r.state, r.application_name, r.client_addr, r.sent_lsn, r.replay_lsn,
                       extract(epoch FROM r.replay_lag),
                       pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(r.replay_lsn, s.restart_lsn))
                  FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
                 WHERE s.slot_type = 'physical'
                UNION ALL
                SELECT NULL, r.state, r.application_name, r.client_addr, r.sent_lsn, r.replay_lsn,
                       extract(epoch FROM r.replay_lag), pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)
                  FROM pg_stat_replication r
                 WHERE r.pid NOT IN (SELECT active_pid FROM pg_replication_slots WHERE active_pid IS NOT NULL)
                 ORDER BY 1, 3""")) {
            while (rs.next()) {
                String slot = rs.getString(1) == null ? "no slot" : "slot " + rs.getString(1);
                long behind = rs.getLong(8);
                if (rs.getString(2) == null) {
                    out.printf("%-11s %-8s %s: no replica connected; it keeps %d bytes of WAL for it (drop a slot whose replica"
                            + " is gone: tmictl replication drop-slot %s)%n", "replica", "away", slot, behind, rs.getString(1));
                    continue;
                }
                double seconds = rs.getDouble(7);
                // pg_stat_replication shows no lag once a replica has replayed everything and the primary is idle
                String lag = rs.wasNull() ? (behind == 0 ? "replay lag 0.0 s" : "replay lag unknown")
                        : String.format(Locale.ROOT, "replay lag %.1f s", seconds);
                out.printf("%-11s %-8s %s: %s from %s, sent %s, replayed %s, %s, %d bytes behind%n", "replica", rs.getString(2),
                        slot, rs.getString(3), rs.getString(4) == null ? "the local socket" : rs.getString(4),
                        rs.getString(5), rs.getString(6), lag, behind);
            }
        }
    }

    /** host:port from a primary_conninfo, for a replica that is not connected (its password file is named there, never a password). */
    private static String configuredPrimary(String conninfo) {
        java.util.regex.Matcher host = java.util.regex.Pattern.compile("host='?([^' ]+)").matcher(conninfo);
        java.util.regex.Matcher port = java.util.regex.Pattern.compile("port='?(\\d+)").matcher(conninfo);
        return (host.find() ? host.group(1) : "?") + ":" + (port.find() ? port.group(1) : "?");
    }
}
