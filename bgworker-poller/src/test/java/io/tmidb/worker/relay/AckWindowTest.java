// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.api.PublishAck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class AckWindowTest {

    @Test
    void theCursorMovesOnlyToTheHighestContiguousAck() throws Exception {
        AckWindow w = new AckWindow(10);
        CompletableFuture<PublishAck> a11 = new CompletableFuture<>();
        CompletableFuture<PublishAck> a12 = new CompletableFuture<>();
        CompletableFuture<PublishAck> a13 = new CompletableFuture<>();
        w.add(11, a11);
        w.add(12, a12);
        w.add(13, a13);
        a12.complete(null);
        a13.complete(null);
        assertEquals(10, w.collect(), "12 and 13 wait for 11");
        a11.complete(null);
        assertEquals(13, w.collect());
        assertEquals(0, w.size());
    }

    @Test
    void aFailedAckStopsTheWindowAtTheEventBeforeIt() throws Exception {
        AckWindow w = new AckWindow(0);
        CompletableFuture<PublishAck> failed = new CompletableFuture<>();
        w.add(1, CompletableFuture.completedFuture(null));
        w.add(2, failed);
        w.add(3, CompletableFuture.completedFuture(null));
        failed.completeExceptionally(new IllegalStateException("connection closed"));
        RelayException e = assertThrows(RelayException.class, w::collect);
        assertTrue(e.getMessage().contains("event 2"), e.getMessage());
        assertEquals(2, w.size(), "events 2 and 3 stay unacknowledged");
    }

    @Test
    void aFailureBehindTheHeadEndsTheWindowAtOnce() throws Exception {
        AckWindow w = new AckWindow(0);
        CompletableFuture<PublishAck> unanswered = new CompletableFuture<>();
        CompletableFuture<PublishAck> refused = new CompletableFuture<>();
        w.add(1, CompletableFuture.completedFuture(null));
        w.add(2, unanswered);
        w.add(3, refused);
        assertEquals(1, w.collect());
        refused.completeExceptionally(new IllegalStateException("503 No Responders Available For Request"));
        long start = System.nanoTime();
        RelayException e = assertThrows(RelayException.class, () -> w.awaitOldest(Duration.ofSeconds(30), () -> true));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0, "no wait for event 2");
        assertTrue(e.getMessage().contains("event 3") && e.getMessage().contains("No Responders"), e.getMessage());
        assertFalse(e.outOfStep());
        assertEquals(1, w.acked(), "the cursor stays before the unanswered event 2");
    }

    @Test
    void aMissingAckTimesOut() {
        AckWindow w = new AckWindow(0);
        w.add(1, new CompletableFuture<>());
        RelayException e = assertThrows(RelayException.class, () -> w.awaitOldest(Duration.ofMillis(200), () -> true));
        assertTrue(e.getMessage().contains("no acknowledgement for event 1"), e.getMessage());
        RelayException lost = assertThrows(RelayException.class, () -> w.awaitOldest(Duration.ofSeconds(5), () -> false));
        assertTrue(lost.getMessage().contains("connection lost"), lost.getMessage());
    }

    @Test
    void awaitingTheOldestCollectsWhatFollows() throws Exception {
        AckWindow w = new AckWindow(4);
        CompletableFuture<PublishAck> a5 = new CompletableFuture<>();
        w.add(5, a5);
        w.add(6, CompletableFuture.completedFuture(null));
        CompletableFuture.runAsync(() -> a5.complete(null), CompletableFuture.delayedExecutor(100, java.util.concurrent.TimeUnit.MILLISECONDS));
        assertEquals(6, w.awaitOldest(Duration.ofSeconds(5), () -> true));
    }

    @Test
    void awaitingAllEmptiesTheWindow() throws Exception {
        AckWindow w = new AckWindow(0);
        for (long id = 1; id <= 3; id++) {
            CompletableFuture<PublishAck> ack = new CompletableFuture<>();
            w.add(id, ack);
            CompletableFuture.runAsync(() -> ack.complete(null), CompletableFuture.delayedExecutor(50 * id, java.util.concurrent.TimeUnit.MILLISECONDS));
        }
        assertEquals(3, w.awaitAll(Duration.ofSeconds(5), () -> true));
        assertEquals(0, w.size());
    }
}
