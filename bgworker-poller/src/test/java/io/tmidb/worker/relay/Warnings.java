// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the WARNING (and worse) records the worker logs while it is open. */
final class Warnings extends Handler implements AutoCloseable {
    private static final Logger WORKER = Logger.getLogger("io.tmidb.worker");
    private final List<LogRecord> records = new ArrayList<>();

    private Warnings() {
    }

    static Warnings capture() {
        Warnings w = new Warnings();
        WORKER.addHandler(w);
        return w;
    }

    @Override
    public synchronized void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
            records.add(r);
        }
    }

    synchronized List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** Each record as its message and, when there is one, the exception it carries. */
    List<String> texts() {
        return records().stream().map(r -> r.getMessage() + (r.getThrown() == null ? "" : " / " + r.getThrown())).toList();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        WORKER.removeHandler(this);
    }
}
