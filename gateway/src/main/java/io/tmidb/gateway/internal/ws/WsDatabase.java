// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.gateway.internal.schema.SchemaListener;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The WebSocket side's database reads (replays and listener subscriptions) on one dedicated
 * connection, opened when first needed and again after a failure. It runs as {@code tmi_admin}:
 * what a listener may see is decided in Java by {@link ListenerScope}, with the database's rule.
 * Calls are serialized; each is one short statement, so replays of many sessions interleave.
 */
final class WsDatabase implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final SchemaListener.Opener opener;
    private Connection connection;

    WsDatabase(SchemaListener.Opener opener) {
        this.opener = opener;
    }

    /** At most {@code max} events after {@code afterId}, in id order. */
    synchronized List<Event> eventsSince(long afterId, int max) throws SQLException {
        try {
            return eventsSince(connection(), afterId, max);
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    /** The id of the newest numbered event (0: none), as the database has it now. */
    synchronized long lastEventId() throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement("SELECT coalesce(max(event_id), 0) FROM tmi.event_log");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    static List<Event> eventsSince(Connection c, long afterId, int max) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT event_id, ts::text, event_type, kind, target_id::text, payload::text FROM tmi.events_since(?, ?)")) {
            ps.setLong(1, afterId);
            ps.setInt(2, max);
            List<Event> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Event(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            (ObjectNode) JSON.readTree(rs.getString(6))));
                }
            }
            return out;
        } catch (IOException e) {
            throw new SQLException("event payload is not a JSON object", "XX000", e);
        }
    }

    /** The listener's subscriptions, or null when there is no such listener. */
    synchronized ListenerScope scope(String listener) throws SQLException {
        try (PreparedStatement ps = connection().prepareStatement(
                "SELECT l.listener_id, s.target_id::text, s.kind, s.fields FROM tmi.listener l"
                        + " LEFT JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id WHERE l.name = ?")) {
            ps.setString(1, listener);
            ListenerScope.Builder b = null;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (b == null) {
                        b = new ListenerScope.Builder();
                    }
                    if (rs.getString(2) != null || rs.getString(3) != null) {
                        java.sql.Array fields = rs.getArray(4);
                        b.add(rs.getString(2), rs.getString(3), fields == null ? null : List.of((String[]) fields.getArray()));
                    }
                }
            }
            return b == null ? null : b.build();
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = opener.open();
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the connection is being dropped after a failure already reported
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }
}
