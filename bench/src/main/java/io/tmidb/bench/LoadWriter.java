// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Offers a steady rate of observation events: {@link #WRITERS} connections, each committing one
 * INSERT every 4 ms on schedule, with rate/1000 targets per INSERT (one event per target). Each
 * writer writes its own targets; with a spread of n, it has n times as many and takes the next
 * ones in turn at each INSERT. Every
 * row carries {@code t0}, the writer's clock just before it sends the INSERT, and {@code w0}, the
 * same instant in microseconds since the epoch (to compare with the stream's own timestamps).
 */
final class LoadWriter {
    static final int WRITERS = 4;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(4);

    private LoadWriter() {
    }

    /**
     * Writes for {@code seconds}; returns how many events were committed. Each INSERT's own time
     * (sent to committed) goes to {@code commits}.
     */
    static int offer(TestDatabase db, int rate, int seconds, Percentiles commits) throws Exception {
        return offer(db, rate, seconds, commits, 1);
    }

    /** As {@link #offer(TestDatabase, int, int, Percentiles)}, over {@code spread} times as many targets. */
    static int offer(TestDatabase db, int rate, int seconds, Percentiles commits, int spread) throws Exception {
        int perInsert = Math.max(1, rate / 1000);
        List<String> targets = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT target_id FROM tmi.target ORDER BY target_id LIMIT " + WRITERS * perInsert * spread)) {
            while (rs.next()) {
                targets.add(rs.getString(1));
            }
        }
        AtomicInteger written = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        for (int w = 0; w < WRITERS; w++) {
            String[] mine = targets.subList(w * perInsert * spread, (w + 1) * perInsert * spread).toArray(String[]::new);
            long offset = w * TICK_NANOS / WRITERS;
            Thread t = new Thread(() -> {
                try {
                    write(db, mine, perInsert, start + offset, end, written, commits);
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "load-writer-" + w);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(seconds + 60));
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
        return written.get();
    }

    static long wallMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static void write(TestDatabase db, String[] targets, int perInsert, long first, long end, AtomicInteger written,
                              Percentiles commits) throws SQLException, InterruptedException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO tmi.ts_obs (target_id, ts, payload)"
                        + " SELECT t, now(), jsonb_build_object('t0', ?::bigint, 'w0', ?::bigint) FROM unnest(?::uuid[]) t")) {
            int turn = 0;
            for (long due = first; due < end; due += TICK_NANOS) {
                int from = (turn++ * perInsert) % targets.length;
                ps.setArray(3, c.createArrayOf("uuid", Arrays.copyOfRange(targets, from, from + perInsert)));
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                long t0 = System.nanoTime();
                ps.setLong(1, t0);
                ps.setLong(2, wallMicros());
                ps.executeUpdate();
                commits.add(System.nanoTime() - t0);
                written.addAndGet(perInsert);
            }
        }
    }
}
