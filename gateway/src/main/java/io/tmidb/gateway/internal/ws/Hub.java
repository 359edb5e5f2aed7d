// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Fans events out to every subscribed session: one pass over the sessions per event, each taking
 * the frame of its {@link Viewer}, which the batch read brought along (no database read per
 * session). Sessions with the same viewer share one frame. Only the event reader publishes, in id
 * order.
 */
final class Hub {
    private static final Logger LOG = Logger.getLogger(Hub.class.getName());
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

    /** The distinct viewers of the subscribed sessions: whom the next batch is read for. */
    List<Viewer> viewers() {
        Set<Viewer> out = new LinkedHashSet<>();
        for (WsSession s : sessions) {
            Viewer v = s.viewer();
            if (v != null) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }

    /** Publishes events in id order. {@code lastId} moves before the sessions see an event, which replays rely on. */
    void publish(SeenBatch batch) {
        for (EventFrames frames : batch.events()) {
            lastId = frames.event().id();
            for (WsSession s : sessions) {
                try {
                    s.offerLive(frames);
                } catch (SeenBatch.UnreadableException e) {
                    LOG.log(Level.WARNING, "cannot read what " + s.who() + " may see of event " + lastId
                            + "; the client was closed with 1011 and may resume", e.getCause());
                    s.close(CloseCodes.SERVER_ERROR, "cannot read the event: " + e.getCause().getSQLState());
                }
            }
        }
    }
}
