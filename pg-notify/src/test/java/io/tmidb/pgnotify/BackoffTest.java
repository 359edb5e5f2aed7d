// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The waits after successes and failures, e.g. a connector's schedule (its interval first, a tenth of jitter). */
class BackoffTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration HOUR = Duration.ofHours(1);

    @Test
    void successWaitsTheFirstPausePlusUpToTheJitter() {
        Backoff connector = new Backoff(MINUTE, HOUR, 0.1);
        assertEquals(MINUTE, connector.after(0, 0));
        assertEquals(Duration.ofSeconds(63), connector.after(0, 0.5));
        // jitter is at most a minute, however long the wait
        assertEquals(Duration.ofDays(1).plusSeconds(30), new Backoff(Duration.ofDays(1), HOUR, 0.1).after(0, 0.5));
    }

    @Test
    void failuresDoubleTheWaitUpToTheCap() {
        Backoff b = new Backoff(MINUTE, HOUR, 0.1);
        assertEquals(MINUTE, b.after(1, 0));
        assertEquals(Duration.ofMinutes(2), b.after(2, 0));
        assertEquals(Duration.ofMinutes(32), b.after(6, 0));
        assertEquals(HOUR, b.after(7, 0));
        assertEquals(HOUR, b.after(Integer.MAX_VALUE, 0));
        // a cap below the first wait never makes a failing connector run more often than a healthy one
        assertEquals(Duration.ofHours(2), new Backoff(Duration.ofHours(2), HOUR, 0.1).after(5, 0));
    }

    @Test
    void failuresInARowCountUntilReset() {
        Backoff b = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(1));
        assertEquals(Duration.ofMillis(200), b.next());
        assertEquals(Duration.ofMillis(400), b.next());
        assertEquals(Duration.ofMillis(800), b.next());
        assertEquals(Duration.ofSeconds(1), b.next());
        assertEquals(4, b.failures());
        b.reset();
        assertEquals(Duration.ofMillis(200), b.next());
    }

    @Test
    void nonsensicalSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, HOUR));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(MINUTE, HOUR, 1.5));
    }
}
