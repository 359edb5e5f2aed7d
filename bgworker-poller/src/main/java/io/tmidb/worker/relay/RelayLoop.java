// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.api.PublishAck;
import io.tmidb.pgnotify.EventCursorReader;
import io.tmidb.pgnotify.ListenLoop;
import io.tmidb.worker.WorkerContext;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The relay's work on one NATS connection: read events after the last published one, publish
 * them ahead of their acknowledgements, and move the cursor to what is contiguously acknowledged.
 * Ends when the worker stops; throws {@link RelayException} when the connection fails, after
 * saving what was acknowledged.
 */
final class RelayLoop {
    /** After a notification that found nothing numbered yet: short looks before the long wait. */
    private static final int QUICK_LOOKS = 20;
    private static final Duration QUICK_WAIT = Duration.ofMillis(5);
    /** While busy the cursor is saved this often (or every window): a query per read would slow it. */
    private static final Duration SAVE_EVERY = Duration.ofMillis(100);

    private final RelayConfig config;
    private final EventCursorReader<RelayEvent> reader;
    private final ListenLoop.Wakeups wakeups;
    private final CursorStore cursor;
    private final JetStreamPublisher publisher;
    private final AckWindow window;
    /** The events published and not yet acknowledged, to compare with what a duplicate's ack names. */
    private final NavigableMap<Long, RelayEvent> inFlight = new TreeMap<>();
    private long published;
    private long saved;
    private long savedAt = System.nanoTime();
    private int quickLooks;

    RelayLoop(RelayConfig config, EventCursorReader<RelayEvent> reader, ListenLoop.Wakeups wakeups, CursorStore cursor,
              JetStreamPublisher publisher, long from) {
        this.config = config;
        this.reader = reader;
        this.wakeups = wakeups;
        this.cursor = cursor;
        this.publisher = publisher;
        this.window = new AckWindow(from, this::duplicate);
        this.published = from;
        this.saved = from;
    }

    void run(WorkerContext context) throws SQLException, RelayException, InterruptedException {
        try {
            while (!context.stopping()) {
                turn();
            }
        } catch (RelayException | InterruptedException e) {
            // what NATS acknowledged before it failed, or before the worker stopped, stays acknowledged
            save(window.acked());
            throw e;
        }
        save(window.acked());
    }

    private void turn() throws SQLException, RelayException, InterruptedException {
        // reads of half a window: the acknowledgements of one half come while the next is read
        int piece = Math.max(1, config.window() / 2);
        boolean read = config.window() - window.size() >= piece;
        List<RelayEvent> events = read ? reader.after(published, piece) : List.of();
        boolean caughtUp = read && events.size() < piece;
        for (RelayEvent e : events) {
            inFlight.put(e.eventId(), e);
            window.add(e.eventId(), publisher.publish(e));
            published = e.eventId();
        }
        // idle: settle the window before waiting long for the next commit; busy: acknowledgements
        // keep coming while the relay reads and waits, and only a full window waits for them
        boolean idle = caughtUp && quickLooks >= QUICK_LOOKS;
        long acked = idle ? window.awaitAll(config.ackTimeout(), publisher::connected)
                : !caughtUp && events.isEmpty() ? window.awaitOldest(config.ackTimeout(), publisher::connected) : window.collect();
        if (acked - saved >= config.window() || System.nanoTime() - savedAt >= SAVE_EVERY.toNanos()) {
            save(acked);
        }
        if (caughtUp) {
            // after a commit, numbering may wait a moment for an older transaction: look again soon
            if (idle) {
                save(acked);
            }
            quickLooks = wakeups.await(idle ? config.sweepInterval() : QUICK_WAIT).isEmpty() ? quickLooks + 1 : 0;
        }
    }

    /**
     * The stream says it held the event already: after a reconnect that is an event sent before,
     * whose message it shows; anything else in its place was stored by someone else.
     */
    private void duplicate(long eventId, PublishAck ack) throws RelayException, SQLException {
        RelayEvent event = inFlight.get(eventId);
        Optional<String> found = publisher.differs(event, ack.getSeqno());
        if (found.isPresent()) {
            Forgeries.report(cursor, eventId, ack.getSeqno(), found.get());
        }
    }

    private void save(long acked) throws SQLException {
        inFlight.headMap(acked, true).clear();
        if (acked > saved) {
            cursor.advance(acked);
            saved = acked;
            savedAt = System.nanoTime();
        }
    }
}
