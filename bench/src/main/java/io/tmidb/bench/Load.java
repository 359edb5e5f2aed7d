// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: {@code clients} threads, each with a client of its own, call as fast as they
 * are answered, first for a 5 s warm-up, then for the measured seconds. Each call gets a random key
 * in [1, keys].
 */
final class Load {
    private static final int WARM_UP_SECONDS = 5;

    /** One measured load: calls per second and latency percentiles in milliseconds. */
    record Result(double perSecond, double p50, double p95, long errors) {
        @Override
        public String toString() {
            return String.format("%,.0f req/s, p50 %.2f ms, p95 %.2f ms, %d errors", perSecond, p50, p95, errors);
        }
    }

    @FunctionalInterface
    interface Client {
        /** Makes one call; returns whether it succeeded. */
        boolean call(int key) throws Exception;
    }

    @FunctionalInterface
    interface ClientFactory {
        Client open() throws Exception;
    }

    private Load() {
    }

    static Result measure(String what, int seconds, int clients, int keys, ClientFactory factory) throws Exception {
        List<Client> all = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            all.add(factory.open());
        }
        run(all, WARM_UP_SECONDS, keys, new Percentiles(), new AtomicLong());
        Percentiles latency = new Percentiles();
        AtomicLong errors = new AtomicLong();
        long t0 = System.nanoTime();
        run(all, seconds, keys, latency, errors);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        Result r = new Result(latency.count() / elapsed, latency.millis(50), latency.millis(95), errors.get());
        System.out.println(what + ": " + r);
        return r;
    }

    private static void run(List<Client> clients, int seconds, int keys, Percentiles latency, AtomicLong errors)
            throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (Client c : clients) {
            Thread th = new Thread(() -> {
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    boolean ok;
                    try {
                        ok = c.call(1 + ThreadLocalRandom.current().nextInt(keys));
                    } catch (Exception e) {
                        ok = false;
                    }
                    if (!ok) {
                        errors.incrementAndGet();
                    }
                    latency.add(System.nanoTime() - s);
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
    }
}
