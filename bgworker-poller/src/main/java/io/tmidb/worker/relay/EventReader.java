// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads events in commit order through {@code tmi.events_since} (gap-free ids) and waits for the
 * {@code tmi_event} notification that a writer committed more. The connection is the reader's
 * own: it listens on it.
 */
final class EventReader {
    // the body is built by the server: the event as one JSON object, payload included verbatim
    private static final String READ = "SELECT e.event_id, e.kind, e.target_id::text, e.event_type,"
            + " json_build_object('event_id', e.event_id, 'ts', e.ts, 'event_type', e.event_type, 'kind', e.kind,"
            + " 'target_id', e.target_id, 'payload', e.payload)::text"
            + " FROM tmi.events_since(?, ?) e";

    private final Connection connection;
    private final PreparedStatement read;

    EventReader(Connection connection) throws SQLException {
        this.connection = connection;
        try (Statement st = connection.createStatement()) {
            st.execute("LISTEN tmi_event");
            // numbering turns are replayed identically after a crash (see tmi.sequence_events)
            st.execute("SET synchronous_commit = off");
        }
        this.read = connection.prepareStatement(READ);
    }

    /** At most {@code max} events after {@code afterId}, in order. */
    List<RelayEvent> after(long afterId, int max) throws SQLException {
        read.setLong(1, afterId);
        read.setInt(2, max);
        List<RelayEvent> out = new ArrayList<>(Math.min(max, 1024));
        try (ResultSet rs = read.executeQuery()) {
            while (rs.next()) {
                out.add(new RelayEvent(rs.getLong(1), Subjects.of(rs.getString(2), rs.getString(3), rs.getString(4)),
                        rs.getString(5).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    /** Waits up to {@code timeout} for a commit notification; true when one (or more) came. */
    boolean awaitCommit(Duration timeout) throws SQLException {
        // 0 would mean "forever" to pgjdbc
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        PGNotification[] got = connection.unwrap(PGConnection.class).getNotifications(ms);
        return got != null && got.length > 0;
    }
}
