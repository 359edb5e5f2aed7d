// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.tmidb.pgnotify.Backoff;
import io.tmidb.pgnotify.EventCursorReader;
import io.tmidb.pgnotify.ListenLoop;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Relays {@code tmi.event_log} to a NATS JetStream stream, in event id order.
 * <p>
 * Contract: an event is published only after every event before it was; the cursor
 * ({@code tmi.relay_cursor}) moves to an event only once the stream acknowledged it and every
 * event before it. Events are published in windows ahead of their acknowledgements; when an
 * acknowledgement fails or does not come, the connection is dropped and a new one publishes again
 * from the cursor. Events the stream already holds are skipped (its last message names the last
 * stored event) or dropped by the stream as duplicates ({@code Nats-Msg-Id} = event id), so each
 * event is stored once. Each publish names the message it follows, so a stream whose cluster
 * lost some publishes when its leader changed refuses the ones after them instead of storing them
 * behind a gap. While NATS is down, events wait in {@code event_log}; the relay retries
 * with a growing pause and says so once per outage.
 * <p>
 * It wakes on {@code NOTIFY tmi_event} and looks anyway every {@code sweep-interval}.
 */
public final class EventRelay implements WorkerService {
    private static final Logger LOG = Logger.getLogger(EventRelay.class.getName());
    // the body is built by the server: the event as one JSON object, payload included verbatim
    private static final String READ = "SELECT e.event_id, e.kind, e.target_id::text, e.event_type,"
            + " json_build_object('event_id', e.event_id, 'ts', e.ts, 'event_type', e.event_type, 'kind', e.kind,"
            + " 'target_id', e.target_id, 'payload', e.payload)::text"
            + " FROM tmi.events_since(?, ?) e";

    @Override
    public String name() {
        return "relay";
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        RelayConfig config = RelayConfig.from(context.settings());
        if (!config.enabled()) {
            LOG.info("relay: off, because the setting nats-url is empty");
            while (!context.stopping()) {
                Thread.sleep(config.sweepInterval().toMillis());
            }
            return;
        }
        Outage outage = new Outage(config);
        ListenLoop.named(name()).listen(EventCursorReader.CHANNEL).opener(context.database()::open).stopping(context::stopping)
                .whileDown("events wait in tmi.event_log and are relayed in order once it is back").build()
                .run((readerDb, wakeups) -> {
                    try (Connection cursorDb = context.database().open()) {
                        CursorStore cursor = new CursorStore(cursorDb, config.cursor());
                        if (!awaitCursor(cursor, config, context)) {
                            return;
                        }
                        relay(config, reader(readerDb), wakeups, cursor, outage, context);
                    }
                });
    }

    /** The relay's reader of events on {@code c}: each event with its subject and its body, built by the server. */
    static EventCursorReader<RelayEvent> reader(Connection c) throws SQLException {
        return new EventCursorReader<>(c, READ, rs -> new RelayEvent(rs.getLong(1),
                Subjects.of(rs.getString(2), rs.getString(3), rs.getString(4)), rs.getString(5).getBytes(StandardCharsets.UTF_8)));
    }

    /** Relays over one NATS connection after another until the worker stops; a database failure ends it. */
    private static void relay(RelayConfig config, EventCursorReader<RelayEvent> reader, ListenLoop.Wakeups wakeups,
                              CursorStore cursor, Outage outage, WorkerContext context) throws SQLException, InterruptedException {
        while (!context.stopping()) {
            try (JetStreamPublisher publisher = JetStreamPublisher.connect(config)) {
                long from = skipStored(publisher, reader, cursor, cursor.load());
                outage.over(from);
                new RelayLoop(config, reader, wakeups, cursor, publisher, from).run(context);
            } catch (RelayException e) {
                if (e.outOfStep()) {
                    LOG.info(() -> "relay: " + e.getMessage() + ". The stream's last message was not the one the relay"
                            + " counted on (publishes lost when a stream leader went down, or a message someone else"
                            + " published); publishing again after the stream's last message");
                } else {
                    outage.failed(e, cursor.load());
                }
                Thread.sleep(outage.nextPause().toMillis());
            }
        }
    }

    /** Waits until no other relay uses the cursor; false when the worker stops first. */
    private static boolean awaitCursor(CursorStore cursor, RelayConfig config, WorkerContext context)
            throws SQLException, InterruptedException {
        boolean said = false;
        while (!cursor.tryLock()) {
            if (!said) {
                LOG.info(() -> "relay: cursor '" + config.cursor() + "' is in use by another relay; waiting for it to stop");
                said = true;
            }
            if (context.stopping()) {
                return false;
            }
            Thread.sleep(config.sweepInterval().toMillis());
        }
        return !context.stopping();
    }

    /**
     * Moves the cursor past events the stream holds already (their acknowledgements were lost),
     * once the stream's last message is the event the relay would have sent; a message it did not
     * send is reported, and the relay goes on from the cursor.
     */
    private static long skipStored(JetStreamPublisher publisher, EventCursorReader<RelayEvent> reader, CursorStore cursor,
                                   long at) throws RelayException, SQLException {
        JetStreamPublisher.StoredTail tail = publisher.lastStored();
        long stored = tail.eventId();
        if (stored <= at) {
            return at;
        }
        List<RelayEvent> event = reader.after(stored - 1, 1);
        if (!event.isEmpty() && event.get(0).eventId() == stored) {
            Optional<String> found = publisher.differs(event.get(0), tail.sequence());
            if (found.isPresent()) {
                Forgeries.report(cursor, stored, tail.sequence(), found.get());
                return at;
            }
        }
        try {
            cursor.advance(stored);
        } catch (SQLException e) {
            if ("22023".equals(e.getSQLState())) {
                throw new IllegalStateException("the relay's stream holds event " + stored + ", which this database has not"
                        + " numbered: the stream belongs to another database, or someone else published to it. Give this database a"
                        + " stream of its own (setting relay-stream), and let only the relay's NATS user publish to it.", e);
            }
            throw e;
        }
        LOG.info(() -> "relay: the stream holds events up to " + stored + "; cursor moved there from " + at);
        return stored;
    }

    /** Backoff and logging for NATS being unreachable: one WARN per outage, one INFO when it ends. */
    private static final class Outage {
        private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
        private final RelayConfig config;
        private final Backoff backoff;
        private boolean down;
        private int attempts;

        Outage(RelayConfig config) {
            this.config = config;
            this.backoff = new Backoff(FIRST_PAUSE.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : FIRST_PAUSE,
                    config.maxBackoff());
        }

        void failed(RelayException e, long cursorAt) {
            attempts++;
            if (!down) {
                down = true;
                LOG.warning(() -> "relay: NATS at " + config.shownUrl() + " is unavailable (" + e.getMessage().replaceAll("[. ]+$", "")
                        + "). Events keep accumulating in tmi.event_log and cursor '"
                        + config.cursor() + "' stays at event " + cursorAt + ": nothing is lost, and they are relayed in order"
                        + " once NATS is back. Start nats-server, or point the setting nats-url (TMIDB_NATS_URL) at it;"
                        + " retrying with pauses up to " + config.maxBackoff().toMillis() / 1000.0 + " s.");
            } else {
                LOG.log(Level.FINE, e, () -> "relay: attempt " + attempts + " failed");
            }
        }

        void over(long cursorAt) {
            if (down) {
                LOG.info(() -> "relay: NATS at " + config.shownUrl() + " is back after " + attempts
                        + " attempts; relaying after event " + cursorAt);
            } else {
                LOG.info(() -> "relay: publishing to stream " + config.stream() + " at " + config.shownUrl()
                        + ", after event " + cursorAt);
            }
            down = false;
            attempts = 0;
            backoff.reset();
        }

        Duration nextPause() {
            return backoff.next();
        }
    }
}
