// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.connector.FetchException;
import io.tmidb.connector.FetchPolicy;
import io.tmidb.connector.Fetcher;
import io.tmidb.connector.Poller;
import io.tmidb.settings.Setting;
import io.tmidb.worker.ConnectionFactory;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;
import io.tmidb.worker.WorkerSettings;
import io.tmidb.pgnotify.Backoff;
import io.tmidb.pgnotify.ListenLoop;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs connectors: claims those that are due, fetches them on a small pool, and records each run
 * on the connector's row (a document in raw_bucket only for a new 2xx body). It LISTENs on
 * {@code tmi_connector}, which the extension notifies whenever a connector is added, changed or
 * dropped, so such changes take effect at once; otherwise it sleeps until the next connector is
 * due. The schedule lives in the database ({@code next_run}), so a restarted worker resumes it.
 */
public final class ConnectorScheduler implements WorkerService {
    private static final Logger LOG = Logger.getLogger(ConnectorScheduler.class.getName());
    /** How often the loop looks again while fetches run, so a finished connector is rescheduled promptly. */
    private static final long BUSY_WAIT_MS = 100;
    /** Shortest wait: connectors another worker holds locked for a moment must not make the loop spin. */
    private static final long MIN_WAIT_MS = 10;
    /** After a success a connector waits its interval plus up to a tenth of it, so connectors added together spread out. */
    private static final double JITTER = 0.1;

    @Override
    public String name() {
        return "connectors";
    }

    /** The fetch limits the worker's settings describe. */
    public static FetchPolicy policy(WorkerSettings s) {
        return new FetchPolicy(s.getDuration(Setting.CONNECTOR_CONNECT_TIMEOUT), s.getDuration(Setting.CONNECTOR_READ_TIMEOUT),
                s.getLong(Setting.CONNECTOR_MAX_BODY_BYTES), s.getInt(Setting.CONNECTOR_MAX_REDIRECTS),
                s.getBoolean(Setting.CONNECTOR_ALLOW_PRIVATE), java.util.Set.copyOf(s.getList(Setting.CONNECTOR_ALLOWED_ADDRESSES)));
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        WorkerSettings settings = context.settings();
        FetchPolicy policy = policy(settings);
        Duration backoffMax = settings.getDuration(Setting.CONNECTOR_BACKOFF_MAX);
        long sweepMs = settings.getDuration(Setting.SWEEP_INTERVAL).toMillis();
        int threads = settings.getInt(Setting.CONNECTOR_THREADS);
        if (threads < 1) {
            throw new IllegalArgumentException("connector-threads must be at least 1, got " + threads);
        }
        // a claim outlives every hop of a fetch that times out, so no other worker takes it meanwhile
        Duration lease = policy.connectTimeout().plus(policy.readTimeout()).multipliedBy(policy.maxRedirects() + 1L)
                .plusSeconds(30);
        Poller poller = new Poller(new Fetcher(policy), Clock.systemUTC());
        Semaphore slots = new Semaphore(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "tmidb-connector-fetch");
            t.setDaemon(true);
            return t;
        });
        ListenLoop loop = ListenLoop.named(name()).listen("tmi_connector").opener(context.database()::open)
                .stopping(context::stopping).whileDown("no connector is fetched until it is back").build();
        try {
            loop.run((listen, wakeups) -> {
                while (!wakeups.stopping()) {
                    if (slots.availablePermits() > 0) {
                        for (ConnectorStore.Claim claim : ConnectorStore.claimDue(listen, slots.availablePermits(), lease)) {
                            slots.acquire();
                            pool.execute(() -> {
                                try {
                                    runOnce(context.database(), poller, claim, backoffMax);
                                } finally {
                                    slots.release();
                                }
                            });
                        }
                    }
                    // read before next_run: a fetch finishing after this read is still seen as running,
                    // so its lease (not yet replaced by its next run) cannot make the loop oversleep
                    int free = slots.availablePermits();
                    long untilDue = ConnectorStore.millisUntilNextDue(listen);
                    long wait = Math.max(MIN_WAIT_MS, untilDue < 0 ? sweepMs : Math.min(sweepMs, untilDue));
                    if (free == 0) {
                        wait = BUSY_WAIT_MS; // overdue connectors wait for a free slot, not in a tight loop
                    } else if (free < threads) {
                        wait = Math.min(wait, BUSY_WAIT_MS);
                    }
                    wakeups.await(Duration.ofMillis(wait)); // a connector added, changed or dropped, or the next one due
                }
            });
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static void runOnce(ConnectionFactory db, Poller poller, ConnectorStore.Claim claim, Duration backoffMax) {
        String name = claim.spec().name();
        try (Connection c = db.open()) {
            Poller.Outcome outcome;
            try {
                outcome = poller.poll(claim.spec());
            } catch (FetchException e) {
                failed(c, claim, e.httpStatus(), e.getMessage(), backoffMax);
                return;
            } catch (RuntimeException e) {
                // a defect in a converter must not leave the connector claimed until its lease ends
                LOG.log(Level.SEVERE, e, () -> "connector " + name + ": internal error while polling");
                failed(c, claim, null, "internal error while polling: " + e, backoffMax);
                return;
            }
            Duration next = schedule(claim, backoffMax).after(0, ThreadLocalRandom.current().nextDouble());
            try {
                if (ConnectorStore.recordSuccess(c, claim, outcome, next)) {
                    if (claim.failures() > 0) {
                        LOG.info(() -> "connector " + name + " (id " + claim.spec().id() + ") recovered after "
                                + claim.failures() + " failures");
                    }
                } else {
                    LOG.fine(() -> "connector " + name + " changed or dropped during its fetch; result discarded");
                }
            } catch (SQLException e) {
                if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
                    throw e; // the connection is gone: nothing can be recorded, the lease expires
                }
                failed(c, claim, outcome.httpStatus(), "cannot store the document: " + e.getMessage(), backoffMax);
            }
        } catch (SQLException e) {
            LOG.log(Level.WARNING, e, () -> "connector " + name + ": cannot record its run (" + e.getMessage()
                    + "); it runs again when its claim expires. Check the worker's database connection.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void failed(Connection c, ConnectorStore.Claim claim, Integer status, String error, Duration backoffMax)
            throws SQLException {
        int failures = claim.failures() + 1;
        Duration next = schedule(claim, backoffMax).after(failures, ThreadLocalRandom.current().nextDouble());
        if (ConnectorStore.recordFailure(c, claim, status, error, next)) {
            LOG.warning(() -> "connector " + claim.spec().name() + " (id " + claim.spec().id() + ") failed " + failures
                    + " time(s) in a row: " + error + "; next try in " + next.toMillis() + " ms."
                    + " Fix the source or the connector with tmi.set_connector, or disable it.");
        }
    }

    /** When a connector runs next: its interval after a success, doubling per failure in a row up to connector-backoff-max. */
    static Backoff schedule(ConnectorStore.Claim claim, Duration backoffMax) {
        return new Backoff(claim.spec().every(), backoffMax, JITTER);
    }
}
