// SPDX-License-Identifier: MIT
package io.tmidb.worker.maintenance;

import io.tmidb.pgnotify.ListenLoop;
import io.tmidb.settings.Setting;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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

    @Override
    public String name() {
        return "partitions";
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        Duration pause = context.settings().getDuration(Setting.PARTITION_INTERVAL);
        ListenLoop.named(name()).listen("tmi_partitions").opener(context.database()::open).stopping(context::stopping)
                .whileDown("readings outside the partitions wait in the default partition").build()
                .run((c, wakeups) -> {
                    try (Statement st = c.createStatement()) {
                        long retentionDue = System.nanoTime();
                        while (!wakeups.stopping()) {
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
                                retentionDue = System.nanoTime() + pause.toNanos();
                            }
                            wakeups.await(pause); // a reading in the default partition, or the interval
                        }
                    }
                });
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
}
