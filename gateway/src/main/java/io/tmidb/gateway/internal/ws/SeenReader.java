// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import io.tmidb.pgnotify.EventCursorReader;

import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Reads {@code tmi.events_seen} on one connection. The database session keeps the readers it was
 * given last and what they see of each target, so a read passes the readers (their scopes and
 * fields, some 200 bytes each) only when the viewers or their scopes changed since, and passes
 * NULL otherwise: the live stream's reads then cost what their events cost, not what the readers
 * do. One instance per connection; it is used by one thread at a time.
 */
final class SeenReader {
    private static final String SEEN = "SELECT event_id, ts::text, event_type, kind, target_id::text, readers, seen"
            + " FROM tmi.events_seen(?, ?, ?::jsonb)";
    private final EventCursorReader<SeenRow> reader;
    private final Scopes scopes;
    /** The viewers the session holds as its readers, in their order, and the scopes' version then; null: none or unknown. */
    private List<Viewer> given;
    private long givenVersion;

    /**
     * A row of {@code tmi.events_seen}: the event and one payload, with the viewers (their 1-based
     * places in the list asked for) that read it; an event hidden from all comes once with none.
     */
    record SeenRow(Event event, Integer[] readers, String seen) {
    }

    SeenReader(Connection c, Scopes scopes) throws SQLException {
        this.reader = new EventCursorReader<>(c, SEEN, rs -> {
            Array readers = rs.getArray(6);
            try {
                return new SeenRow(new Event(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)),
                        (Integer[]) readers.getArray(), rs.getString(7));
            } finally {
                readers.free();
            }
        });
        this.scopes = scopes;
    }

    /**
     * At most {@code max} events after {@code afterId} with the payload each viewer may read; a
     * viewer added to the batch later is read again here (the batch's fetcher).
     */
    SeenBatch read(long afterId, int max, List<Viewer> viewers) throws SQLException {
        // the version first: readers built after it may hold newer scopes, which a later read sends again
        long version = scopes.version();
        boolean held = viewers.equals(given) && version == givenVersion;
        // a failed call rolls back what it gave the session: until one succeeds, what the session holds is unknown
        given = null;
        List<SeenRow> rows = reader.after(afterId, max, held ? null : scopes.readers(viewers));
        given = viewers;
        givenVersion = version;
        SeenBatch batch = new SeenBatch(this::read, viewers);
        EventFrames frames = null;
        for (SeenRow row : rows) {
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
}
