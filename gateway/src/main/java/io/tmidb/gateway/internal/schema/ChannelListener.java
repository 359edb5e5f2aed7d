// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One thread holding a connection of its own with {@code LISTEN <channel>}: it hands each batch
 * of payloads to {@code notified} and reconnects a second after a failure. {@code connected} runs
 * each time LISTEN is in place, first start included, so that the owner can make up for the
 * notifications it may have missed while there was none.
 */
public final class ChannelListener implements AutoCloseable {
    /** Takes the payloads of the notifications read at once; a failure counts as a lost connection. */
    @FunctionalInterface
    public interface Handler {
        void notified(List<String> payloads) throws SQLException;
    }

    private static final Logger LOG = Logger.getLogger(ChannelListener.class.getName());
    private final Thread thread;
    private volatile boolean stopped;

    /** {@code lost} completes the warning logged when the connection fails: what goes on meanwhile. */
    public ChannelListener(String channel, SchemaListener.Opener opener, Runnable connected, Handler notified,
                           String lost) {
        this.thread = new Thread(() -> run(channel, opener, connected, notified, lost), "tmidb-gateway-listen-" + channel);
        thread.setDaemon(true);
        thread.start();
    }

    private void run(String channel, SchemaListener.Opener opener, Runnable connected, Handler notified,
                     String lost) {
        while (!stopped) {
            try (Connection c = opener.open(); Statement st = c.createStatement()) {
                st.execute("LISTEN " + channel);
                connected.run();
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stopped) {
                    PGNotification[] notes = pg.getNotifications(500);
                    if (notes != null && notes.length > 0) {
                        notified.notified(Arrays.stream(notes).map(PGNotification::getParameter).toList());
                    }
                }
            } catch (SQLException e) {
                if (!stopped) {
                    LOG.log(Level.WARNING, "LISTEN " + channel + " lost its connection; retrying in 1 s; " + lost, e);
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
