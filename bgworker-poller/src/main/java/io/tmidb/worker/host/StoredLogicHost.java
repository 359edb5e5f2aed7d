// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.settings.Setting;
import io.tmidb.stored.alarm.Alarms;
import io.tmidb.stored.mapping.Pipeline;
import io.tmidb.stored.schema.SchemaVersions;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;
import io.tmidb.pgnotify.ListenLoop;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The worker host of the stored logic: while tmi.host() is 'worker', claims pending work — raw
 * documents (FOR UPDATE SKIP LOCKED), then queued schema changes (one worker at a time), then
 * queued alarm evaluations (per bucket of targets) — runs the same Java the PL/Java host runs, and
 * commits each batch; several workers share one database this way (docs/scaling.md). A batch is one
 * transaction, so a worker killed mid-batch leaves its rows pending for the next one: nothing is
 * lost or done twice. Woken by NOTIFY tmi_work, and sweeps periodically.
 */
public final class StoredLogicHost implements WorkerService {
    private static final Logger LOG = Logger.getLogger(StoredLogicHost.class.getName());
    private static final int QUEUED_ROWS_PER_BATCH = 20_000;

    /** One kind of queued work: how to claim a batch, what to run on it, and whether only on the worker host. */
    private record Queue(String name, String claim, Step step, boolean workerHostOnly) {
        Queue(String name, String claim, Step step) {
            this(name, claim, step, true);
        }
    }

    @FunctionalInterface
    private interface Step {
        void run(Connection c, long[] ids) throws SQLException;
    }

    private static final Queue RAW = new Queue("raw",
            "SELECT raw_id FROM tmi.raw_bucket WHERE status = 'pending' ORDER BY raw_id LIMIT ? FOR UPDATE SKIP LOCKED",
            Pipeline::processRaw);
    /**
     * Schema changes one worker at a time: a version is made per writing statement in the order the
     * statements ran, and two workers applying later and earlier batches side by side would number
     * them out of order (or deadlock on two kinds). The queue is small; a worker that finds it taken
     * moves on to its other queues.
     */
    private static final Queue SCHEMA = new Queue("schema",
            "SELECT pending_id FROM tmi.schema_pending WHERE (SELECT pg_try_advisory_xact_lock(hashtext('tmi.schema_pending')))"
                    + " ORDER BY pending_id LIMIT ? FOR UPDATE", SchemaVersions::apply);
    /** Targets are spread over this many buckets, each evaluated by one worker at a time. */
    private static final int ALARM_BUCKETS = 64;
    /** A claim takes at most this many buckets, so up to four workers evaluate alarms side by side. */
    private static final int ALARM_BUCKETS_PER_CLAIM = ALARM_BUCKETS / 4;
    /**
     * Alarms are evaluated in time order per target, so one target's readings must never be in two
     * workers' hands at once: a later batch committed first would make the earlier one "too late".
     * A claim takes the buckets of targets (hash of the target id) with the oldest pending rows
     * whose transaction lock it gets, then the oldest rows of those buckets only; a bucket is
     * released at commit, once its evaluations are visible. Rows deleted by a worker that
     * committed after this statement's snapshot are gone by the time they would be locked, so
     * nothing is evaluated twice. Buckets, not targets, bound the locks a claim holds.
     */
    private static final Queue ALARM = new Queue("alarm", """
            WITH held AS (
                SELECT bucket FROM (SELECT hashtext(target_id::text) & %1$d AS bucket, min(pending_id) AS oldest
                                      FROM tmi.alarm_pending GROUP BY 1 ORDER BY oldest) b
                 WHERE pg_try_advisory_xact_lock(hashtext('tmi.alarm_pending'), bucket)
                 LIMIT %2$d)
            SELECT pending_id FROM tmi.alarm_pending
             WHERE (hashtext(target_id::text) & %1$d) IN (SELECT bucket FROM held)
             ORDER BY pending_id LIMIT ? FOR UPDATE""".formatted(ALARM_BUCKETS - 1, ALARM_BUCKETS_PER_CLAIM), Alarms::evaluate);
    /** Connectors that ask for a suggested rule, on either host: the role model runs in this JVM, never in the server's. */
    private static final Queue CONNECTOR_SUGGESTION = new Queue("connector-suggestion", ConnectorSuggestions.CLAIM,
            ConnectorSuggestions::suggest, false);

    private final String name;
    private final List<Queue> queues;

    private StoredLogicHost(String name, List<Queue> queues) {
        this.name = name;
        this.queues = queues;
    }

    /** Maps raw documents. */
    public static StoredLogicHost mapping() {
        return new StoredLogicHost("mapping", List.of(RAW));
    }

    /**
     * Applies queued schema changes, evaluates queued alarms and suggests the rules of connectors
     * that ask for one, beside the mapping (so both cores work); the claims keep each queue in order
     * however many workers share it: versions per statement, alarms per target in time.
     */
    public static StoredLogicHost followUp() {
        return new StoredLogicHost("schema-alarms", List.of(SCHEMA, ALARM, CONNECTOR_SUGGESTION));
    }

    /** The stored logic's services as the worker runs them: both, and the previews' desk. */
    public static List<WorkerService> all() {
        return List.of(mapping(), followUp(), new PreviewDesk());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        int batch = context.settings().getInt(Setting.BATCH_SIZE);
        Duration sweep = context.settings().getDuration(Setting.SWEEP_INTERVAL);
        ListenLoop.named(name).listen("tmi_work").opener(context.database()::open).stopping(context::stopping)
                .whileDown("work waits in its queues (nothing is lost)").build()
                .run((c, wakeups) -> {
                    while (!wakeups.stopping()) {
                        boolean busy = drainOnce(c, batch, isWorkerHost(c));
                        if (!busy) {
                            wakeups.await(sweep); // wait for work, or sweep
                        }
                    }
                });
    }

    /** Runs one batch of each of this host's queues (on the PL/Java host, of those not bound to the worker host); true if any had work. */
    private boolean drainOnce(Connection c, int batch, boolean workerHost) throws SQLException {
        boolean any = false;
        for (Queue q : queues) {
            if (q.workerHostOnly() && !workerHost) {
                continue;
            }
            c.setAutoCommit(false);
            try {
                // a raw document holds many items; queued schema and alarm rows are one per item at most
                long[] ids = claim(c, q.claim(), q.name().equals("raw") ? batch : QUEUED_ROWS_PER_BATCH);
                if (ids.length > 0) {
                    q.step().run(c, ids);
                    any = true;
                    LOG.fine(() -> q.name() + ": " + ids.length + " done");
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
        return any;
    }

    private static boolean isWorkerHost(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tmi.host()")) {
            rs.next();
            return "worker".equals(rs.getString(1));
        }
    }

    private static long[] claim(Connection c, String sql, int limit) throws SQLException {
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }
}
