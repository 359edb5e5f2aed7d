// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import io.tmidb.gateway.internal.schema.SchemaListener;
import io.tmidb.pgnotify.EventCursorReader;
import io.tmidb.pgnotify.ListenLoop;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * The gateway's one reader of {@code tmi.event_log}: a {@link ListenLoop} on
 * {@code tmi_event} reads {@code tmi.events_seen(cursor, batch, viewers)} (every event as each
 * viewer of the hub's sessions may see it; the viewers are sent only when they change,
 * {@link SeenReader}) whenever a notification arrives, and every {@code ws-sweep} without one, and
 * hands each batch to the hub. {@code NOTIFY tmi_listeners}
 * (subscriptions changed) reloads the listeners' scopes before the next batch. It starts at the
 * newest event when the gateway starts; after a lost connection the loop reconnects and the reader
 * continues from its cursor, so the hub sees every event once, in order.
 */
final class EventReader implements AutoCloseable {
    /** The channel the extension notifies when subscriptions change. */
    private static final String SUBSCRIPTIONS = "tmi_listeners";
    private static final int BATCH = 1000;
    private final Hub hub;
    private final Scopes scopes;
    private final Duration sweep;
    private final ListenLoop loop;

    private EventReader(SchemaListener.Opener opener, Hub hub, Scopes scopes, Duration sweep) {
        this.hub = hub;
        this.scopes = scopes;
        this.sweep = sweep;
        this.loop = ListenLoop.named("gateway-event-reader").listen(EventCursorReader.CHANNEL, SUBSCRIPTIONS).opener(opener::open)
                .whileDown("WebSocket clients get no events until it is back; none is lost, it goes on from its cursor").build();
    }

    /** A hub positioned at the newest event, and the reader that feeds it from now on. */
    static EventReader start(SchemaListener.Opener opener, Scopes scopes, Duration sweep) throws SQLException {
        long newest;
        // two statements: the second's snapshot sees what the first numbered
        try (Connection c = opener.open(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.sequence_events()");
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(event_id), 0) FROM tmi.event_log")) {
                rs.next();
                newest = rs.getLong(1);
            }
        }
        EventReader reader = new EventReader(opener, new Hub(newest, DeliveryTimings.fromSystemProperty()), scopes, sweep);
        reader.loop.start(reader::read);
        return reader;
    }

    Hub hub() {
        return hub;
    }

    private void read(Connection c, ListenLoop.Wakeups wakeups) throws SQLException {
        SeenReader reader = new SeenReader(c, scopes);
        // subscriptions may have changed while there was no connection
        WsDatabase.loadScopes(c, scopes.listeners(), scopes);
        DeliveryTimings timings = hub.timings();
        long woke = timings.now();
        while (!wakeups.stopping()) {
            SeenBatch batch;
            do {
                List<Viewer> viewers = hub.viewers();
                List<String> missing = scopes.missing(viewers);
                if (!missing.isEmpty()) {
                    // a session that authenticated while the scopes were refreshed
                    WsDatabase.loadScopes(c, missing, scopes);
                }
                batch = reader.read(hub.lastId(), BATCH, viewers);
                if (batch.size() > 0) {
                    timings.record(DeliveryTimings.Stage.READ, woke);
                }
                long read = timings.now();
                hub.publish(batch);
                if (batch.size() > 0) {
                    timings.record(DeliveryTimings.Stage.FAN_OUT, read);
                }
                woke = timings.now();
            } while (batch.size() == BATCH && !wakeups.stopping());
            // a notification ends the wait at once: the reader has no polling interval, ws-sweep only bounds a lost one
            boolean subscriptionsChanged = wakeups.await(sweep).stream().anyMatch(n -> n.getName().equals(SUBSCRIPTIONS));
            woke = timings.now();
            if (subscriptionsChanged) {
                scopes.changed();
                WsDatabase.loadScopes(c, scopes.listeners(), scopes);
            }
        }
    }

    @Override
    public void close() {
        loop.close();
    }
}
