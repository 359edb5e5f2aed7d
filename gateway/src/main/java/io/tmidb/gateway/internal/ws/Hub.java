// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Fans events out to the subscribed sessions: one pass per event over the sessions whose filters
 * may want it ({@link SessionIndex}), each taking the frame of its {@link Viewer}, which the batch
 * read brought along (no database read per session). Sessions with the same viewer share one frame,
 * encoded once. Only the event reader publishes, in id order.
 */
final class Hub {
    private static final Logger LOG = Logger.getLogger(Hub.class.getName());
    private final SessionIndex sessions = new SessionIndex();
    private final DeliveryTimings timings;
    private volatile long lastId;
    private volatile long offeredId;

    Hub(long lastId, DeliveryTimings timings) {
        this.lastId = lastId;
        this.offeredId = lastId;
        this.timings = timings;
    }

    /** The id of the last event published (every event up to it has been offered to the live sessions). */
    long lastId() {
        return lastId;
    }

    /**
     * The id of the last event offered to every session that may want it: a live session has
     * considered each event up to it or could not match it (it was not a candidate). It follows
     * {@link #lastId} once the event's offers are done.
     */
    long offeredId() {
        return offeredId;
    }

    DeliveryTimings timings() {
        return timings;
    }

    /** Adds a session that has subscribed (its filter and viewer are set). */
    void add(WsSession s) {
        sessions.add(s);
    }

    void remove(WsSession s) {
        sessions.remove(s);
    }

    /** The distinct viewers of the subscribed sessions: whom the next batch is read for. */
    List<Viewer> viewers() {
        return sessions.viewers();
    }

    /** Publishes events in id order. {@code lastId} moves before the sessions see an event, which replays rely on. */
    void publish(SeenBatch batch) {
        for (EventFrames frames : batch.events()) {
            lastId = frames.event().id();
            sessions.candidates(frames.event(), s -> offer(s, frames));
            offeredId = frames.event().id();
        }
    }

    private void offer(WsSession s, EventFrames frames) {
        try {
            s.offerLive(frames);
        } catch (SeenBatch.UnreadableException e) {
            LOG.log(Level.WARNING, "cannot read what " + s.who() + " may see of event " + frames.event().id()
                    + "; the client was closed with 1011 and may resume", e.getCause());
            s.close(CloseCodes.SERVER_ERROR, "cannot read the event: " + e.getCause().getSQLState());
        }
    }
}
