// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds, summarized as percentiles in milliseconds. */
final class Percentiles {
    private long[] samples = new long[1 << 16];
    private int n;

    synchronized void add(long nanos) {
        if (n == samples.length) {
            samples = Arrays.copyOf(samples, n * 2);
        }
        samples[n++] = nanos;
    }

    synchronized int count() {
        return n;
    }

    /** The p-th percentile (0 < p <= 100) in milliseconds, nearest rank. */
    synchronized double millis(double p) {
        if (n == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * n);
        return sorted[Math.max(0, Math.min(n - 1, rank - 1))] / 1e6;
    }
}
