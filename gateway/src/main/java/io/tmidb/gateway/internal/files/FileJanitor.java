// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.files;

import io.tmidb.files.FileException;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.StoreTotals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One sweep of the object store's housekeeping, run by the gateway every {@code file-sweep}: expired
 * uploads are queued in {@code tmi.file_trash} ({@code tmi.expire_uploads()}), the queued objects are
 * deleted from the store (rows claimed with SKIP LOCKED, so several gateways share the work; a
 * failure is counted on the row and retried next sweep), and what the store holds is reported
 * to {@code tmi.report_file_store} for {@code tmi.status()}.
 */
public final class FileJanitor {
    private static final Logger LOG = Logger.getLogger(FileJanitor.class.getName());
    private static final int BATCH = 100;
    private final ObjectStore store;
    private final ConnectionSource connections;

    /** Opens a connection acting as tmi_admin. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    public FileJanitor(ObjectStore store, ConnectionSource connections) {
        this.store = store;
        this.connections = connections;
    }

    /** One sweep; failures are logged, never thrown (the next sweep tries again). */
    public void sweep() {
        try (Connection c = connections.open()) {
            try (Statement st = c.createStatement()) {
                st.execute("SELECT tmi.expire_uploads()");
            }
            while (emptyTrash(c) == BATCH) {
                // a full batch: there may be more
            }
            report(c);
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.WARNING, "file sweep failed; trying again at the next sweep: " + e, e);
        }
    }

    /** Deletes one batch of queued objects; answers how many rows it claimed. */
    private int emptyTrash(Connection c) throws SQLException {
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
                LOG.warning(() -> "could not delete objects from the object store; tmi.file_trash.last_error says why,"
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

    private void report(Connection c) throws SQLException {
        StoreTotals totals = null;
        String detail = null;
        try {
            store.ensureBucket();
            totals = store.totals();
        } catch (FileException e) {
            detail = e.getMessage();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.report_file_store(?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, store.config().bucket());
            ps.setString(2, store.config().where());
            ps.setBoolean(3, totals != null);
            ps.setObject(4, totals == null ? null : totals.objects(), java.sql.Types.BIGINT);
            ps.setObject(5, totals == null ? null : totals.bytes(), java.sql.Types.BIGINT);
            ps.setString(6, detail);
            ps.execute();
        }
    }
}
