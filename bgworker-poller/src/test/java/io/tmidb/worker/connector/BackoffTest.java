// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The schedule after successes and failures. */
class BackoffTest {
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final Duration HOUR = Duration.ofHours(1);

    @Test
    void successWaitsTheIntervalPlusUpToATenthOfJitter() {
        assertEquals(MINUTE, Backoff.nextDelay(MINUTE, 0, HOUR, 0));
        assertEquals(Duration.ofSeconds(63), Backoff.nextDelay(MINUTE, 0, HOUR, 0.5));
        // jitter is at most a minute, however long the interval
        assertEquals(Duration.ofDays(1).plusSeconds(30), Backoff.nextDelay(Duration.ofDays(1), 0, HOUR, 0.5));
    }

    @Test
    void failuresDoubleTheWaitUpToTheCap() {
        assertEquals(MINUTE, Backoff.nextDelay(MINUTE, 1, HOUR, 0));
        assertEquals(Duration.ofMinutes(2), Backoff.nextDelay(MINUTE, 2, HOUR, 0));
        assertEquals(Duration.ofMinutes(32), Backoff.nextDelay(MINUTE, 6, HOUR, 0));
        assertEquals(HOUR, Backoff.nextDelay(MINUTE, 7, HOUR, 0));
        assertEquals(HOUR, Backoff.nextDelay(MINUTE, Integer.MAX_VALUE, HOUR, 0));
        // a cap below the interval never makes a failing connector run more often than a healthy one
        assertEquals(Duration.ofHours(2), Backoff.nextDelay(Duration.ofHours(2), 5, HOUR, 0));
    }
}
