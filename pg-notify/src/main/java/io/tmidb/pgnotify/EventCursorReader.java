// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code tmi.event_log} after a cursor, in event id order, for the consumers that keep one
 * (the NATS relay, the gateway's WebSocket hub). Its connection is a {@link ListenLoop}'s, listening
 * on {@link #CHANNEL}; each read first numbers what committed ({@code tmi.sequence_events}, through
 * {@code tmi.events_since} or a function over it). Numbering turns commit with
 * {@code synchronous_commit = off}: a turn lost in a crash is numbered again with the same ids.
 *
 * @param <T> what a row becomes
 */
public final class EventCursorReader<T> {
    /** The channel writers notify when they commit events. */
    public static final String CHANNEL = "tmi_event";

    /** Makes one value of a row of the query. */
    @FunctionalInterface
    public interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private final PreparedStatement read;
    private final Row<T> row;

    /**
     * {@code query} takes the cursor (the last id read) and the largest number of events as its
     * first two parameters, then those given to {@link #after}, and returns events in id order.
     */
    public EventCursorReader(Connection connection, String query, Row<T> row) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("SET synchronous_commit = off");
        }
        this.read = connection.prepareStatement(query);
        this.row = row;
    }

    /** At most {@code max} events after {@code afterId}, in order; {@code more} binds the query's further parameters as text. */
    public List<T> after(long afterId, int max, String... more) throws SQLException {
        read.setLong(1, afterId);
        read.setInt(2, max);
        for (int i = 0; i < more.length; i++) {
            read.setString(3 + i, more[i]);
        }
        List<T> out = new ArrayList<>(Math.min(max, 1024));
        try (ResultSet rs = read.executeQuery()) {
            while (rs.next()) {
                out.add(row.read(rs));
            }
        }
        return out;
    }
}
