// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.gateway.internal.schema.SchemaListener;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The WebSocket side's database reads (replays and listener scopes) on one dedicated connection,
 * opened when first needed and again after a failure. It runs as {@code tmi_admin}; what a viewer
 * may see is the database's answer ({@code tmi.events_seen}, {@code tmi.listener_scope}), never
 * decided here. Calls are serialized; each is one short statement, so replays of many sessions
 * interleave.
 */
final class WsDatabase implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final SchemaListener.Opener opener;
    private final Scopes scopes;
    private Connection connection;
    private SeenReader replays;

    WsDatabase(SchemaListener.Opener opener, Scopes scopes) {
        this.opener = opener;
        this.scopes = scopes;
    }

    /** At most {@code max} events after {@code afterId}, in id order, as {@code viewer} may see them. */
    synchronized SeenBatch eventsSeen(long afterId, int max, Viewer viewer) throws SQLException {
        try {
            Connection c = connection();
            List<String> missing = scopes.missing(List.of(viewer));
            if (!missing.isEmpty()) {
                loadScopes(c, missing, scopes);
            }
            return replays.read(afterId, max, List.of(viewer));
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

    /** Reloads the scopes of these listeners into the cache; returns those that no longer exist. */
    synchronized List<String> loadScopes(Collection<String> listeners) throws SQLException {
        try {
            return loadScopes(connection(), listeners, scopes);
        } catch (SQLException e) {
            closeConnection();
            throw e;
        }
    }

    static List<String> loadScopes(Connection c, Collection<String> listeners, Scopes scopes) throws SQLException {
        long generation = scopes.generation();
        Map<String, String> found = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT l.name, tmi.listener_scope(l.name)::text FROM tmi.listener l WHERE l.name = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", listeners.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        scopes.put(found, generation);
        List<String> gone = listeners.stream().filter(l -> !found.containsKey(l)).toList();
        gone.forEach(scopes::remove);
        return gone;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = opener.open();
            replays = new SeenReader(connection, scopes);
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
            replays = null;
        }
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }
}
