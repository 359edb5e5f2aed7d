// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Brings a session from its {@code since} to live: reads {@code tmi.events_seen} for the session's
 * viewer in batches ({@link ReplayBatches}, shared with the other sessions of its viewer) and offers each event to the session (which filters it as the hub would), until the session has
 * considered every event the hub has published; then the session takes live events. A live-only
 * subscription is a replay from the hub's position, which closes the race with the hub's next event. The hub may
 * publish an event the replay reads too: the session's cursor drops the second copy. If the first
 * event after {@code since} was pruned, the session is closed with {@link CloseCodes#RESUME_EXPIRED}.
 */
final class Replay implements Runnable {
    private static final Logger LOG = Logger.getLogger(Replay.class.getName());
    private final WsSession session;
    private final long since;
    private final Hub hub;
    private final ReplayBatches batches;

    Replay(WsSession session, long since, Hub hub, ReplayBatches batches) {
        this.session = session;
        this.since = since;
        this.hub = hub;
        this.batches = batches;
    }

    @Override
    public void run() {
        try {
            long cursor = since;
            if (session.goLive(hub::lastId)) {
                // nothing published after since (a live-only subscription, mostly): no read at all
                return;
            }
            while (session.state() == WsSession.State.REPLAYING) {
                SeenBatch batch = batches.holding(session.viewer(), cursor + 1);
                boolean first = cursor == since;
                for (EventFrames e : batch.events()) {
                    long id = e.event().id();
                    if (id <= cursor) {
                        continue;
                    }
                    if (first && since > 0 && id != since + 1) {
                        session.close(CloseCodes.RESUME_EXPIRED, "events after " + since + " were pruned; start again without since");
                        return;
                    }
                    first = false;
                    session.offerReplayed(e);
                    cursor = id;
                }
                if (batch.size() < ReplayBatches.SIZE && session.goLive(hub::lastId)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.close(CloseCodes.GOING_AWAY, "the gateway is stopping");
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "a WebSocket replay for " + session.who() + " from event " + since
                    + " failed; the client was closed with 1011 and may resume", e);
            session.close(CloseCodes.SERVER_ERROR, "replay failed: " + e.getSQLState());
        }
    }
}
