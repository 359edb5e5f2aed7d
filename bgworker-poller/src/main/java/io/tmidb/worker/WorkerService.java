// SPDX-License-Identifier: MIT
package io.tmidb.worker;

/**
 * One job of tmidb-worker (hosting the stored logic, polling connectors, relaying events). The
 * worker runs each service on a thread of its own and, when {@link #run} throws, logs the cause
 * and runs it again after a growing pause: a service keeps no state across runs that the
 * database does not hold.
 */
public interface WorkerService {
    /** Short name for logs and thread names, e.g. {@code relay}. */
    String name();

    /**
     * Does the service's work until {@link WorkerContext#stopping()} turns true or the thread is
     * interrupted; then returns. Throws to be restarted.
     */
    void run(WorkerContext context) throws Exception;
}
