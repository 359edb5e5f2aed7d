// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A writer that keeps creating targets (one event each), 20 (or a given number) per transaction
 * every 10 ms, on its own thread until stopped: the load under which the tests take NATS or the
 * relay down.
 */
final class Load implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile int written;

    private Load(TestDatabase db, String prefix, int perBatch) {
        thread = new Thread(() -> write(db, prefix, perBatch), "test-load");
    }

    static Load start(TestDatabase db, String prefix) {
        return start(db, prefix, 20);
    }

    /** A load of {@code perBatch} events per transaction: fewer for a test that needs it to last longer. */
    static Load start(TestDatabase db, String prefix, int perBatch) {
        Load load = new Load(db, prefix, perBatch);
        load.thread.start();
        return load;
    }

    private void write(TestDatabase db, String prefix, int perBatch) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO tmi.target (name, kind, ext_key) SELECT ? || i, 'bike', ? || i FROM generate_series(?, ?) i")) {
            ps.setString(1, prefix);
            ps.setString(2, prefix);
            // bounded: at most 20,000 events even if nobody stops it
            for (int batch = 0; batch < 20_000 / perBatch && !stop.get(); batch++) {
                ps.setInt(3, written + 1);
                ps.setInt(4, written + perBatch);
                ps.executeUpdate();
                written += perBatch;
                Thread.sleep(10);
            }
        } catch (Exception e) {
            failure.set(e);
        }
    }

    int written() {
        return written;
    }

    /** Stops writing; returns how many events were written, or throws what failed the writer. */
    int finish() throws Exception {
        stop.set(true);
        thread.join(30_000);
        if (failure.get() != null) {
            throw failure.get();
        }
        return written;
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join(30_000);
    }
}
