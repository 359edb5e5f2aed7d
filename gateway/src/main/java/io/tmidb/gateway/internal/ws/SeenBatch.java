// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Events read together through {@code tmi.events_seen}, each with its payload for the viewers
 * asked for. A viewer that subscribed after the read (its session went live meanwhile) is fetched
 * for the whole batch at once when first needed.
 */
final class SeenBatch {
    /** Reads the batch's events again for one more viewer. */
    @FunctionalInterface
    interface Fetcher {
        SeenBatch read(long afterId, int max, List<Viewer> viewers) throws SQLException;
    }

    private final List<EventFrames> events = new ArrayList<>();
    private final Fetcher fetcher;
    /** The viewers the batch was read for: an event without a payload for one of them is hidden from it. */
    private final Set<Viewer> asked;

    SeenBatch(Fetcher fetcher, List<Viewer> asked) {
        this.fetcher = fetcher;
        this.asked = new HashSet<>(asked);
    }

    /** Whether the batch was read for {@code viewer} (else {@link #fetch} reads it). */
    boolean asked(Viewer viewer) {
        return asked.contains(viewer);
    }

    List<EventFrames> events() {
        return events;
    }

    void add(EventFrames frames) {
        events.add(frames);
    }

    int size() {
        return events.size();
    }

    /** Fills in {@code viewer}'s payloads; a failure is unchecked: the session asking cannot be served. */
    void fetch(Viewer viewer) {
        asked.add(viewer);
        if (events.isEmpty()) {
            return;
        }
        long first = events.get(0).event().id();
        try {
            SeenBatch again = fetcher.read(first - 1, events.size(), List.of(viewer));
            for (int i = 0; i < events.size(); i++) {
                EventFrames mine = events.get(i);
                EventFrames theirs = i < again.events.size() ? again.events.get(i) : null;
                // ids are gap-free, so the same events come back; one that did not stays hidden
                if (theirs != null && theirs.event().id() == mine.event().id() && theirs.payload(viewer) != null) {
                    mine.seen(viewer, theirs.payload(viewer));
                }
            }
        } catch (SQLException e) {
            throw new UnreadableException(e);
        }
    }

    /** The database could not be asked what a viewer may see. */
    static final class UnreadableException extends RuntimeException {
        UnreadableException(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }
}
