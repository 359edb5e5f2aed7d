// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one backoff of tmiDB's services: after the n-th failure in a row the wait is
 * {@code first × 2^(n−1)}, at most {@code max} (but never less than {@code first}), plus a random
 * jitter of up to {@code jitter} of that wait (at most a minute), so that many clients failing
 * together do not retry in lockstep. With no failure the wait is {@code first} (plus jitter): a
 * connector's interval. Immutable settings; {@link #next()} and {@link #reset()} count failures in
 * a row for one caller (not thread-safe).
 */
public final class Backoff {
    private static final Duration MAX_JITTER = Duration.ofMinutes(1);
    private final Duration first;
    private final Duration max;
    private final double jitter;
    private int failures;

    /** Without jitter. */
    public Backoff(Duration first, Duration max) {
        this(first, max, 0);
    }

    /** {@code jitter}: the largest share of a wait added at random, in [0, 1]. */
    public Backoff(Duration first, Duration max, double jitter) {
        if (first.isNegative() || first.isZero() || max.isNegative() || jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("a backoff needs a positive first wait, a maximum and a jitter in [0, 1]; got "
                    + first + ", " + max + ", " + jitter);
        }
        this.first = first;
        this.max = max;
        this.jitter = jitter;
    }

    /**
     * The wait after {@code failures} failures in a row (0: after a success).
     *
     * @param random a number in [0, 1) choosing the jitter
     */
    public Duration after(int failures, double random) {
        long ceiling = Math.max(max.toMillis(), first.toMillis());
        long wait = first.toMillis();
        for (int n = 1; n < failures && wait < ceiling; n++) { // ends after at most ~40 doublings
            wait *= 2;
        }
        Duration base = Duration.ofMillis(Math.min(wait, ceiling));
        Duration range = Duration.ofNanos((long) (base.toNanos() * jitter));
        return base.plusNanos((long) ((range.compareTo(MAX_JITTER) > 0 ? MAX_JITTER : range).toNanos() * random));
    }

    /** Counts one more failure in a row and returns the wait before the next attempt. */
    public Duration next() {
        if (failures < Integer.MAX_VALUE) {
            failures++;
        }
        return after(failures, ThreadLocalRandom.current().nextDouble());
    }

    /** Failures in a row so far. */
    public int failures() {
        return failures;
    }

    /** After a success: the next failure waits {@code first} again. */
    public void reset() {
        failures = 0;
    }
}
