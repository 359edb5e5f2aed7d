// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import java.time.Duration;

/**
 * When a connector runs next. After a success: its interval. After the n-th failure in a row:
 * interval × 2^(n−1), at most {@code max} (but never less than the interval). Then jitter of up
 * to a tenth of that wait (at most a minute) is added, so connectors registered together, or
 * many nodes polling one source, do not fetch in lockstep.
 */
final class Backoff {
    private static final Duration MAX_JITTER = Duration.ofMinutes(1);

    private Backoff() {
    }

    /**
     * @param failures consecutive failures including the one just recorded (0 after a success)
     * @param random   a number in [0, 1) choosing the jitter
     */
    static Duration nextDelay(Duration every, int failures, Duration max, double random) {
        long ceiling = Math.max(max.toMillis(), every.toMillis());
        long wait = every.toMillis();
        for (int n = 1; n < failures && wait < ceiling; n++) { // ends after at most ~40 doublings
            wait *= 2;
        }
        Duration base = Duration.ofMillis(Math.min(wait, ceiling));
        Duration jitterRange = base.dividedBy(10).compareTo(MAX_JITTER) > 0 ? MAX_JITTER : base.dividedBy(10);
        return base.plusNanos((long) (jitterRange.toNanos() * random));
    }
}
