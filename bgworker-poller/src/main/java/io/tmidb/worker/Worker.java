// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.pgnotify.Backoff;
import io.tmidb.pgnotify.LoginRefusedException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * tmidb-worker's supervisor: runs each {@link WorkerService} on its own thread and restarts a
 * failed one after a pause that doubles up to a minute (reset once it has run for a minute). A
 * service whose login the database refused ({@link LoginRefusedException}) is not restarted: its
 * message says what to fix.
 */
public final class Worker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Worker.class.getName());
    private static final Duration FIRST_PAUSE = Duration.ofMillis(500);
    private static final Duration MAX_PAUSE = Duration.ofMinutes(1);

    private final WorkerContext context;
    private final List<Thread> threads = new ArrayList<>();

    private Worker(WorkerContext context) {
        this.context = context;
    }

    /** Starts the services; {@link #close()} stops them. */
    public static Worker start(WorkerContext context, List<WorkerService> services) {
        Worker worker = new Worker(context);
        for (WorkerService service : services) {
            Thread t = new Thread(() -> worker.supervise(service), "tmidb-" + service.name());
            worker.threads.add(t);
            t.start();
        }
        return worker;
    }

    private void supervise(WorkerService service) {
        Backoff backoff = new Backoff(FIRST_PAUSE, MAX_PAUSE);
        while (!context.stopping()) {
            long started = System.nanoTime();
            try {
                LOG.info(() -> service.name() + ": started");
                service.run(context);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (LoginRefusedException e) {
                LOG.log(Level.SEVERE, e.getMessage(), e.getCause());
                return;
            } catch (Exception e) {
                if (context.stopping()) {
                    return;
                }
                if (Duration.ofNanos(System.nanoTime() - started).compareTo(MAX_PAUSE) > 0) {
                    backoff.reset(); // it had run for a while: a new failure
                }
                Duration wait = backoff.next();
                LOG.log(Level.WARNING, e, () -> service.name() + ": failed (" + e + "); restarting in " + wait.toMillis() + " ms");
                try {
                    Thread.sleep(wait.toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops every service: asks, interrupts, and waits up to 10 s for each. */
    @Override
    public void close() throws InterruptedException {
        context.stop();
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            t.join(10_000);
        }
    }
}
