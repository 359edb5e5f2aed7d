// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.JetStreamApiException;
import io.nats.client.api.PublishAck;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Publishes in flight, oldest first. Acknowledgements may complete in any order; the window
 * reports only the highest event id up to which <em>every</em> publish was acknowledged, which is
 * where the cursor may move. A missing acknowledgement at the head, or a failed one anywhere, ends
 * the window: the relay then reconnects and sends again from the cursor. A failure behind the head
 * ends it at once: the publishes before it may never be answered (a stream leader that died with
 * them), and waiting for them would only delay sending them again.
 */
final class AckWindow {
    private static final long POLL_MS = 50;
    /** The stream's answers that its last message is not the one a publish named (by sequence or message id). */
    private static final int WRONG_LAST_SEQUENCE = 10071;
    private static final int WRONG_LAST_MSG_ID = 10070;
    private static final int SEQUENCE_MISMATCH = 10063;

    /** What the relay does with an acknowledgement saying the stream held the event already. */
    @FunctionalInterface
    interface Duplicates {
        void acknowledged(long eventId, PublishAck ack) throws RelayException, SQLException;
    }

    private record Pending(long eventId, CompletableFuture<PublishAck> ack) {
    }

    private record Failure(long eventId, Throwable cause) {
    }

    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** The oldest publish whose acknowledgement failed, set by the client's threads as answers come. */
    private final AtomicReference<Failure> failure = new AtomicReference<>();
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
        ack.whenComplete((done, thrown) -> {
            if (thrown != null) {
                Failure f = new Failure(eventId, thrown);
                failure.accumulateAndGet(f, (was, now) -> was == null || now.eventId() < was.eventId() ? now : was);
            }
        });
    }

    /** The highest event id up to which every publish was acknowledged. */
    long acked() {
        return acked;
    }

    int size() {
        return pending.size();
    }

    /**
     * Drops the acknowledged head of the window; returns the highest contiguously acknowledged id.
     * Throws when a publish failed, after taking the acknowledgements before it.
     */
    long collect() throws RelayException, SQLException {
        while (!pending.isEmpty() && pending.peekFirst().ack().isDone()) {
            Pending head = pending.peekFirst();
            PublishAck ack;
            try {
                ack = head.ack().getNow(null);
            } catch (RuntimeException e) {
                throw notStored(head.eventId(), e);
            }
            // a duplicate's ack counts: the broker holds a message with this id, which may be checked
            if (ack != null && ack.isDuplicate()) {
                duplicates.acknowledged(head.eventId(), ack);
            }
            pending.removeFirst();
            acked = head.eventId();
        }
        Failure f = failure.get();
        if (f != null) {
            throw notStored(f.eventId(), f.cause());
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
        while (!head.ack().isDone() && failure.get() == null) {
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

    private static RelayException notStored(long eventId, Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        boolean outOfStep = t instanceof JetStreamApiException api
                && (api.getApiErrorCode() == WRONG_LAST_SEQUENCE || api.getApiErrorCode() == WRONG_LAST_MSG_ID
                || api.getApiErrorCode() == SEQUENCE_MISMATCH);
        return new RelayException("event " + eventId + " was not stored: " + t.getClass().getSimpleName() + ": " + t.getMessage(),
                e, outOfStep);
    }
}
