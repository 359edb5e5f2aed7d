// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reloads the schema cache when the database says so, with PostgREST's signal:
 * {@code NOTIFY pgrst, 'reload schema'} (or an empty payload). It holds one connection of its own
 * with {@code LISTEN pgrst} and reconnects after a failure; the periodic reload covers the gap.
 */
public final class SchemaListener implements AutoCloseable {
    /** Opens the dedicated connection. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    private static final Logger LOG = Logger.getLogger(SchemaListener.class.getName());
    private final Thread thread;
    private volatile boolean stopped;

    public SchemaListener(Opener opener, SchemaCache cache) {
        this.thread = new Thread(() -> run(opener, cache), "tmidb-gateway-schema-listener");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(Opener opener, SchemaCache cache) {
        while (!stopped) {
            try (Connection c = opener.open(); Statement st = c.createStatement()) {
                st.execute("LISTEN pgrst");
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stopped) {
                    PGNotification[] notes = pg.getNotifications(500);
                    if (notes != null && java.util.Arrays.stream(notes)
                            .anyMatch(n -> n.getParameter().isEmpty() || n.getParameter().equals("reload schema"))) {
                        cache.reload();
                        LOG.info(() -> "schema cache reloaded on NOTIFY pgrst: API versions " + cache.get().versions());
                    }
                }
            } catch (SQLException e) {
                if (!stopped) {
                    LOG.log(Level.WARNING, "schema listener lost its connection; retrying in 1 s, and the cache is still"
                            + " reloaded every schema-refresh", e);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
