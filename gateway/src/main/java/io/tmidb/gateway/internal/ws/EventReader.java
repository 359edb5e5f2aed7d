// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import io.tmidb.gateway.internal.schema.SchemaListener;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gateway's one reader of {@code tmi.event_log}: a dedicated connection with
 * {@code LISTEN tmi_event} reads {@code tmi.events_seen(cursor, batch, viewers)} (every event as
 * each viewer of the hub's sessions may see it) whenever a notification arrives, and every
 * {@code ws-sweep} without one, and hands each batch to the hub. {@code NOTIFY tmi_listeners}
 * (subscriptions changed) reloads the listeners' scopes before the next batch. It starts at
 * the newest event when the gateway starts; after a lost connection it reconnects and continues
 * from its cursor, so the hub sees every event once, in order.
 */
final class EventReader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventReader.class.getName());
    private static final int BATCH = 1000;
    private final SchemaListener.Opener opener;
    private final Hub hub;
    private final Scopes scopes;
    private final long sweepMillis;
    private final Thread thread;
    private volatile boolean stopped;

    private EventReader(SchemaListener.Opener opener, Hub hub, Scopes scopes, long sweepMillis) {
        this.opener = opener;
        this.hub = hub;
        this.scopes = scopes;
        this.sweepMillis = sweepMillis;
        this.thread = new Thread(this::run, "tmidb-gateway-event-reader");
        thread.setDaemon(true);
    }

    /** A hub positioned at the newest event, and the reader that feeds it from now on. */
    static EventReader start(SchemaListener.Opener opener, Scopes scopes, long sweepMillis) throws SQLException {
        long newest;
        // two statements: the second's snapshot sees what the first numbered
        try (Connection c = opener.open(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.sequence_events()");
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(event_id), 0) FROM tmi.event_log")) {
                rs.next();
                newest = rs.getLong(1);
            }
        }
        EventReader reader = new EventReader(opener, new Hub(newest), scopes, sweepMillis);
        reader.thread.start();
        return reader;
    }

    Hub hub() {
        return hub;
    }

    private void run() {
        while (!stopped) {
            try (Connection c = opener.open(); Statement st = c.createStatement()) {
                st.execute("LISTEN tmi_event");
                st.execute("LISTEN tmi_listeners");
                // numbering turns are replayed identically after a crash (see tmi.sequence_events)
                st.execute("SET synchronous_commit = off");
                PGConnection pg = c.unwrap(PGConnection.class);
                // subscriptions may have changed while there was no connection
                WsDatabase.loadScopes(c, scopes.listeners(), scopes);
                while (!stopped) {
                    SeenBatch batch;
                    do {
                        batch = WsDatabase.eventsSeen(c, hub.lastId(), BATCH, hub.viewers(), scopes);
                        hub.publish(batch);
                    } while (batch.size() == BATCH && !stopped);
                    PGNotification[] notes = pg.getNotifications((int) sweepMillis);
                    if (notes != null && Arrays.stream(notes).anyMatch(n -> n.getName().equals("tmi_listeners"))) {
                        WsDatabase.loadScopes(c, scopes.listeners(), scopes);
                    }
                }
            } catch (SQLException e) {
                if (!stopped) {
                    LOG.log(Level.WARNING, "the WebSocket event reader lost its database connection at event " + hub.lastId()
                            + "; clients get no events until it reconnects (retrying every second)", e);
                    pause();
                }
            }
        }
    }

    private void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
