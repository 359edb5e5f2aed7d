// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import java.util.concurrent.atomic.AtomicBoolean;

/** What every service gets: the database, the settings, and whether the worker is stopping. */
public final class WorkerContext {
    private final ConnectionFactory database;
    private final WorkerSettings settings;
    private final AtomicBoolean stopping = new AtomicBoolean();

    public WorkerContext(ConnectionFactory database, WorkerSettings settings) {
        this.database = database;
        this.settings = settings;
    }

    public ConnectionFactory database() {
        return database;
    }

    public WorkerSettings settings() {
        return settings;
    }

    public boolean stopping() {
        return stopping.get() || Thread.currentThread().isInterrupted();
    }

    void stop() {
        stopping.set(true);
    }
}
