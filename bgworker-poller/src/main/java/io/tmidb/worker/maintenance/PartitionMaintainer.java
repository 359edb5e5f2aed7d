// SPDX-License-Identifier: MIT
package io.tmidb.worker.maintenance;

import io.tmidb.settings.Setting;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.logging.Logger;

/**
 * Keeps ts_obs partitions created ahead of time and the default partition empty: runs
 * tmi.maintain_partitions() every partition-interval, and at once when a reading lands in the
 * default partition (the extension then notifies tmi_partitions), so that old or future readings
 * get partitions of their own as they arrive. Every partition-interval it also enforces retention
 * (tmi.apply_retention()), which drops partitions or chunks that hold only expired readings.
 */
public final class PartitionMaintainer implements WorkerService {
    private static final Logger LOG = Logger.getLogger(PartitionMaintainer.class.getName());
    private static final int STOP_CHECK_MS = 1000;

    @Override
    public String name() {
        return "partitions";
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        long pauseMs = context.settings().getDuration(Setting.PARTITION_INTERVAL).toMillis();
        try (Connection c = context.database().open(); Statement st = c.createStatement()) {
            st.execute("LISTEN tmi_partitions");
            PGConnection pg = c.unwrap(PGConnection.class);
            long retentionDue = System.nanoTime();
            while (!context.stopping()) {
                try (ResultSet rs = st.executeQuery("SELECT tmi.maintain_partitions()")) {
                    rs.next();
                    int created = rs.getInt(1);
                    if (created > 0) {
                        LOG.info(() -> "created " + created + " ts_obs partitions");
                    }
                }
                // on the interval only: a reading in the default partition is no reason to delete anything
                if (System.nanoTime() - retentionDue >= 0) {
                    applyRetention(st);
                    retentionDue = System.nanoTime() + pauseMs * 1_000_000L;
                }
                awaitReadingOrInterval(context, pg, pauseMs);
            }
        }
    }

    private static void applyRetention(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT sum(observations), sum(positions), max(partitions_dropped)"
                + " FROM tmi.apply_retention()")) {
            rs.next();
            long observations = rs.getLong(1);
            long positions = rs.getLong(2);
            int partitions = rs.getInt(3);
            if (observations + positions + partitions > 0) {
                LOG.info(() -> "retention: dropped " + partitions + " ts_obs partitions or chunks, deleted " + observations
                        + " observations and " + positions + " positions");
            }
        }
    }

    /** Returns on a notification, after {@code pauseMs}, or soon after the worker is told to stop. */
    private static void awaitReadingOrInterval(WorkerContext context, PGConnection pg, long pauseMs) throws SQLException {
        long deadline = System.nanoTime() + pauseMs * 1_000_000L;
        while (!context.stopping() && System.nanoTime() < deadline) {
            int waitMs = (int) Math.max(1, Math.min(STOP_CHECK_MS, (deadline - System.nanoTime()) / 1_000_000L));
            PGNotification[] arrived = pg.getNotifications(waitMs);
            if (arrived != null && arrived.length > 0) {
                return;
            }
        }
    }
}
