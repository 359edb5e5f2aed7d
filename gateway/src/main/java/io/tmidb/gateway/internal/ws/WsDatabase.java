// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.gateway.internal.schema.SchemaListener;
import io.tmidb.pgnotify.EventCursorReader;

import java.sql.Array;
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
    private static final String SEEN = "SELECT event_id, ts::text, event_type, kind, target_id::text, readers, seen"
            + " FROM tmi.events_seen(?, ?, ?::jsonb)";
    private final SchemaListener.Opener opener;
    private final Scopes scopes;
    private Connection connection;
    private EventCursorReader<SeenRow> replays;

    /**
     * A row of {@code tmi.events_seen}: the event and one payload, with the viewers (their 1-based
     * places in the list asked for) that read it; an event hidden from all comes once with none.
     */
    record SeenRow(Event event, Integer[] readers, String seen) {
    }

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
            return eventsSeen(replays, afterId, max, List.of(viewer), scopes);
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

    /** The reader of {@code tmi.events_seen} on {@code c}. */
    static EventCursorReader<SeenRow> reader(Connection c) throws SQLException {
        return new EventCursorReader<>(c, SEEN, rs -> {
            Array readers = rs.getArray(6);
            try {
                return new SeenRow(new Event(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)),
                        (Integer[]) readers.getArray(), rs.getString(7));
            } finally {
                readers.free();
            }
        });
    }

    /**
     * Events after {@code afterId} with the payload each viewer may read; a viewer added later is
     * read again with the same reader (the batch's fetcher).
     */
    static SeenBatch eventsSeen(EventCursorReader<SeenRow> reader, long afterId, int max, List<Viewer> viewers, Scopes scopes)
            throws SQLException {
        SeenBatch batch = new SeenBatch((after, n, more) -> eventsSeen(reader, after, n, more, scopes), viewers);
        EventFrames frames = null;
        for (SeenRow row : reader.after(afterId, max, scopes.readers(viewers))) {
            // the rows of one event follow each other, one per distinct payload
            if (frames == null || frames.event().id() != row.event().id()) {
                frames = new EventFrames(row.event(), batch);
                batch.add(frames);
            }
            for (Integer n : row.readers()) {
                frames.seen(viewers.get(n - 1), row.seen());
            }
        }
        return batch;
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
            replays = reader(connection);
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
