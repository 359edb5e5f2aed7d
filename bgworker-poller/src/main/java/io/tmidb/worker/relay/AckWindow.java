// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.api.PublishAck;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Publishes in flight, oldest first. Acknowledgements may complete in any order; the window
 * reports only the highest event id up to which <em>every</em> publish was acknowledged, which is
 * where the cursor may move. A failed or missing acknowledgement at the head ends the window:
 * the relay then reconnects and sends again from the cursor.
 */
final class AckWindow {
    private static final long POLL_MS = 50;

    /** What the relay does with an acknowledgement saying the stream held the event already. */
    @FunctionalInterface
    interface Duplicates {
        void acknowledged(long eventId, PublishAck ack) throws RelayException, SQLException;
    }

    private record Pending(long eventId, CompletableFuture<PublishAck> ack) {
    }

    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Duplicates duplicates;
    private long acked;

    /** A window whose events up to {@code acked} are acknowledged already. */
    AckWindow(long acked) {
        this(acked, (eventId, ack) -> { });
    }

    /** A window that hands each duplicate acknowledgement to {@code duplicates}, in event order. */
    AckWindow(long acked, Duplicates duplicates) {
        this.acked = acked;
        this.duplicates = duplicates;
    }

    void add(long eventId, CompletableFuture<PublishAck> ack) {
        pending.addLast(new Pending(eventId, ack));
    }

    /** The highest event id up to which every publish was acknowledged. */
    long acked() {
        return acked;
    }

    int size() {
        return pending.size();
    }

    /** Drops the acknowledged head of the window; returns the highest contiguously acknowledged id. */
    long collect() throws RelayException, SQLException {
        while (!pending.isEmpty() && pending.peekFirst().ack().isDone()) {
            Pending head = pending.peekFirst();
            PublishAck ack;
            try {
                ack = head.ack().getNow(null);
            } catch (RuntimeException e) {
                throw new RelayException("event " + head.eventId() + " was not stored: " + rootMessage(e), e);
            }
            // a duplicate's ack counts: the broker holds a message with this id, which may be checked
            if (ack != null && ack.isDuplicate()) {
                duplicates.acknowledged(head.eventId(), ack);
            }
            pending.removeFirst();
            acked = head.eventId();
        }
        return acked;
    }

    /**
     * Waits until the oldest publish is acknowledged, at most {@code timeout} and only while
     * {@code alive} holds, then collects. Throws when it does not come.
     */
    long awaitOldest(Duration timeout, BooleanSupplier alive) throws RelayException, SQLException, InterruptedException {
        if (pending.isEmpty()) {
            return acked;
        }
        Pending head = pending.peekFirst();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!head.ack().isDone()) {
            if (!alive.getAsBoolean() || System.nanoTime() > deadline) {
                throw new RelayException("no acknowledgement for event " + head.eventId() + " within "
                        + timeout.toMillis() + " ms" + (alive.getAsBoolean() ? "" : " (connection lost)"), null);
            }
            try {
                head.ack().get(POLL_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // checked by collect() or by the next turn of the loop
            }
        }
        return collect();
    }

    /** Waits for every publish in the window, each at most {@code timeout}, while {@code alive} holds. */
    long awaitAll(Duration timeout, BooleanSupplier alive) throws RelayException, SQLException, InterruptedException {
        while (!pending.isEmpty()) {
            awaitOldest(timeout, alive);
        }
        return acked;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
