// SPDX-License-Identifier: MIT
package io.tmidb.worker.maintenance;

import io.tmidb.files.FileException;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.StoreConfig;
import io.tmidb.files.StoreTotals;
import io.tmidb.settings.Setting;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The object store's housekeeping, every {@code file-sweep}: uploads that expired without
 * completing are queued in {@code tmi.file_trash} ({@code tmi.expire_uploads()}), the queued
 * objects (of those uploads, of deleted files and targets) are deleted from the store, and what
 * the store holds is reported to {@code tmi.report_file_store} for {@code tmi.status()}. Runs in
 * the worker, so once per node however many gateways there are; rows are claimed with SKIP LOCKED,
 * so several workers share the work, and a failed deletion is counted on its row and retried at
 * the next sweep. Without {@code s3-endpoint} the worker has no store and this service idles.
 */
public final class FileJanitor implements WorkerService {
    private static final Logger LOG = Logger.getLogger(FileJanitor.class.getName());
    private static final int BATCH = 100;

    @Override
    public String name() {
        return "files";
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        Optional<StoreConfig> config = StoreConfig.of(context.settings());
        if (config.isEmpty()) {
            LOG.info("no s3-endpoint: no objects to clean up (tmidbd passes its store's endpoint to its worker)");
            while (!context.stopping()) {
                Thread.sleep(Long.MAX_VALUE); // until the worker stops and interrupts
            }
            return;
        }
        Duration every = context.settings().getDuration(Setting.FILE_SWEEP);
        try (ObjectStore store = new ObjectStore(config.get())) {
            LOG.info(() -> "cleaning up files in " + store.config() + " every " + every);
            while (!context.stopping()) {
                try (Connection c = context.database().open()) {
                    sweep(store, c);
                }
                Thread.sleep(every.toMillis());
            }
        }
    }

    /** One sweep over connection {@code c}; the store's failures are recorded, the database's thrown. */
    static void sweep(ObjectStore store, Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT tmi.expire_uploads()");
        }
        while (emptyTrash(store, c) == BATCH) {
            // a full batch: there may be more
        }
        report(store, c);
    }

    /** Deletes one batch of queued objects; answers how many rows it claimed. */
    private static int emptyTrash(ObjectStore store, Connection c) throws SQLException {
        c.setAutoCommit(false);
        try {
            List<String[]> claimed = new ArrayList<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT bucket, object_key FROM tmi.file_trash ORDER BY queued_at"
                         + " LIMIT " + BATCH + " FOR UPDATE SKIP LOCKED")) {
                while (rs.next()) {
                    claimed.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
            int failed = 0;
            for (String[] o : claimed) {
                try {
                    store.delete(o[0], o[1]);
                    try (PreparedStatement ps = c.prepareStatement("DELETE FROM tmi.file_trash WHERE bucket = ? AND object_key = ?")) {
                        ps.setString(1, o[0]);
                        ps.setString(2, o[1]);
                        ps.executeUpdate();
                    }
                } catch (FileException e) {
                    failed++;
                    try (PreparedStatement ps = c.prepareStatement("UPDATE tmi.file_trash SET attempts = attempts + 1,"
                            + " last_error = ? WHERE bucket = ? AND object_key = ?")) {
                        ps.setString(1, e.getMessage());
                        ps.setString(2, o[0]);
                        ps.setString(3, o[1]);
                        ps.executeUpdate();
                    }
                }
            }
            c.commit();
            if (failed > 0) {
                int n = failed;
                LOG.warning(() -> "could not delete " + n + " objects from the object store; tmi.file_trash.last_error says why,"
                        + " and the next sweep tries again");
            }
            // a batch that only failed is not worth repeating in this sweep
            return failed == claimed.size() ? 0 : claimed.size();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void report(ObjectStore store, Connection c) throws SQLException {
        StoreTotals totals = null;
        String detail = null;
        try {
            store.ensureBucket();
            totals = store.totals();
        } catch (FileException e) {
            detail = e.getMessage();
            LOG.log(Level.WARNING, "the object store cannot be reached; tmi.status() shows it, and the next sweep looks again: "
                    + e.getMessage());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.report_file_store(?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, store.config().bucket());
            ps.setString(2, store.config().where());
            ps.setBoolean(3, totals != null);
            ps.setObject(4, totals == null ? null : totals.objects(), Types.BIGINT);
            ps.setObject(5, totals == null ? null : totals.bytes(), Types.BIGINT);
            ps.setString(6, detail);
            ps.execute();
        }
    }
}
