// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.logging.Logger;

/**
 * Where an event's time goes inside the gateway, for benchmarks: off unless the system property
 * {@code tmidb.ws.timings} gives a window in seconds; then every window one INFO line gives the
 * p50 / p99 / max (ms) of each stage over that window, and the stages start again empty:
 * <ul>
 * <li>{@code read}: the reader wakes (a notification, or its sweep) until the batch's rows are read,</li>
 * <li>{@code fan-out}: rows read until every frame of the batch is queued for its sessions,</li>
 * <li>{@code queued}: a frame queued until it is handed to the socket's writer,</li>
 * <li>{@code written}: handed until the socket's writer reports it written.</li>
 * </ul>
 * What lies before (commit, notification) and after (the client reading) is measured by the
 * benchmark (docs/BENCHMARKS.md, "WebSocket"). Off, each call is one branch on a final field.
 */
final class DeliveryTimings {
    enum Stage { READ, FAN_OUT, QUEUED, WRITTEN }

    /** Samples per stage and window; more in a window are not kept (the window says how many came). */
    private static final int CAPACITY = 1 << 20;
    private static final Logger LOG = Logger.getLogger(DeliveryTimings.class.getName());
    private final boolean on;
    private final AtomicReferenceArray<Samples> stages = new AtomicReferenceArray<>(Stage.values().length);

    private DeliveryTimings(boolean on) {
        this.on = on;
        if (on) {
            for (Stage s : Stage.values()) {
                stages.set(s.ordinal(), new Samples());
            }
        }
    }

    /** Timings as the system property says: off, or on with the window it gives. */
    static DeliveryTimings fromSystemProperty() {
        return new DeliveryTimings(window() > 0);
    }

    /** The window in seconds (0: off). */
    static long window() {
        return Long.getLong("tmidb.ws.timings", 0);
    }

    boolean on() {
        return on;
    }

    /** The time now, when on (0 when off, so that callers store it for nothing). */
    long now() {
        return on ? System.nanoTime() : 0;
    }

    /** Records a stage that began at {@code since} (a {@link #now()}). */
    void record(Stage stage, long since) {
        if (on) {
            stages.get(stage.ordinal()).add(System.nanoTime() - since);
        }
    }

    /** Logs the window's figures and starts the next window. */
    void logWindow() {
        if (!on) {
            return;
        }
        StringBuilder line = new StringBuilder("WebSocket delivery stages (ms, p50 / p99 / max, count):");
        for (Stage s : Stage.values()) {
            Samples done = stages.getAndSet(s.ordinal(), new Samples());
            line.append(' ').append(s.name().toLowerCase().replace('_', '-')).append(' ').append(done.summary()).append(';');
        }
        LOG.info(line::toString);
    }

    /** The nanoseconds of one stage in one window. */
    private static final class Samples {
        private final long[] nanos = new long[CAPACITY];
        private final AtomicInteger count = new AtomicInteger();

        void add(long n) {
            int i = count.getAndIncrement();
            if (i < CAPACITY) {
                nanos[i] = n;
            }
        }

        String summary() {
            int n = Math.min(count.get(), CAPACITY);
            if (n == 0) {
                return "-";
            }
            long[] sorted = Arrays.copyOf(nanos, n);
            Arrays.sort(sorted);
            return String.format("%.2f / %.2f / %.2f (%d)", sorted[(n - 1) / 2] / 1e6, sorted[(int) ((n - 1) * 0.99)] / 1e6,
                    sorted[n - 1] / 1e6, count.get());
        }
    }
}
