// SPDX-License-Identifier: MIT
package io.tmidb.worker.maintenance;

import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;
import io.tmidb.worker.WorkerSettings;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.logging.Logger;

/** Keeps ts_obs partitions created ahead of time: runs tmi.maintain_partitions() periodically. */
public final class PartitionMaintainer implements WorkerService {
    private static final Logger LOG = Logger.getLogger(PartitionMaintainer.class.getName());

    @Override
    public String name() {
        return "partitions";
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        long pauseMs = context.settings().getDuration(WorkerSettings.Key.PARTITION_INTERVAL).toMillis();
        try (Connection c = context.database().open(); Statement st = c.createStatement()) {
            while (!context.stopping()) {
                try (ResultSet rs = st.executeQuery("SELECT tmi.maintain_partitions()")) {
                    rs.next();
                    int created = rs.getInt(1);
                    if (created > 0) {
                        LOG.info(() -> "created " + created + " ts_obs partitions");
                    }
                }
                Thread.sleep(pauseMs);
            }
        }
    }
}
