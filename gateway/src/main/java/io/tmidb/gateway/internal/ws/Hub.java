// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Fans events out to every subscribed session: one pass over the sessions per event, each deciding
 * with its compiled filter in memory (no database read per session). Sessions that may read the
 * same fields share one serialized frame. Only the event reader publishes, in id order.
 */
final class Hub {
    private final List<WsSession> sessions = new CopyOnWriteArrayList<>();
    private volatile long lastId;

    Hub(long lastId) {
        this.lastId = lastId;
    }

    /** The id of the last event published (every event up to it has been offered to the live sessions). */
    long lastId() {
        return lastId;
    }

    void add(WsSession s) {
        sessions.add(s);
    }

    void remove(WsSession s) {
        sessions.remove(s);
    }

    /** Publishes events in id order. {@code lastId} moves before the sessions see an event, which replays rely on. */
    void publish(List<Event> events) {
        for (Event e : events) {
            lastId = e.id();
            EventFrames frames = new EventFrames(e);
            for (WsSession s : sessions) {
                s.offerLive(frames);
            }
        }
    }
}
