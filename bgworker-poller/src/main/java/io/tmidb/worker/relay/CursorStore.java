// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The relay's position in {@code tmi.relay_cursor}: the last event id the broker acknowledged.
 * It uses a connection of its own, with {@code synchronous_commit = off}: a cursor update lost in
 * a server crash only makes the relay send a few acknowledged events again, which the broker
 * drops as duplicates, while waiting for each update to reach disk would slow every window.
 * The same connection holds the advisory lock that lets one relay at a time use a cursor.
 */
final class CursorStore implements AutoCloseable {
    private final Connection connection;
    private final String name;
    private final PreparedStatement advance;

    CursorStore(Connection connection, String name) throws SQLException {
        this.connection = connection;
        this.name = name;
        try (Statement st = connection.createStatement()) {
            st.execute("SET synchronous_commit = off");
        }
        this.advance = connection.prepareStatement("SELECT tmi.advance_relay_cursor(?, ?)");
        advance.setString(1, name);
    }

    /** Takes the cursor for this session; false while another relay holds it. */
    boolean tryLock() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT pg_try_advisory_lock(hashtext('tmi.relay_cursor'), hashtext(?))")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The last acknowledged event id; creates the cursor at 0 when missing. */
    long load() throws SQLException {
        try (PreparedStatement ins = connection.prepareStatement(
                "INSERT INTO tmi.relay_cursor (name) VALUES (?) ON CONFLICT DO NOTHING");
             PreparedStatement sel = connection.prepareStatement("SELECT last_event_id FROM tmi.relay_cursor WHERE name = ?")) {
            ins.setString(1, name);
            ins.executeUpdate();
            sel.setString(1, name);
            try (ResultSet rs = sel.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Moves the cursor forward to {@code eventId}; call only once the broker acknowledged it. */
    void advance(long eventId) throws SQLException {
        advance.setLong(2, eventId);
        advance.execute();
    }

    /**
     * Records that the stream holds, under {@code eventId}'s message id, a message the relay did not
     * publish (message {@code sequence}, described by {@code found}); tmi.status() raises the alarm.
     * Written at once to disk, unlike the cursor.
     */
    void recordForgery(long eventId, long sequence, String found) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT set_config('synchronous_commit', 'on', true), tmi.record_relay_forgery(?, ?, ?, ?)")) {
            ps.setString(1, name);
            ps.setLong(2, eventId);
            ps.setLong(3, sequence);
            ps.setString(4, found);
            ps.execute();
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
