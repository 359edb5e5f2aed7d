// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import io.tmidb.pgnotify.ListenLoop;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.logging.Logger;

/**
 * Reloads the schema cache when the database says so, with PostgREST's signal:
 * {@code NOTIFY pgrst, 'reload schema'} (or an empty payload). It holds one connection of its own
 * with {@code LISTEN pgrst} (a {@link ListenLoop}); the periodic reload covers any gap.
 */
public final class SchemaListener implements AutoCloseable {
    /** Opens a dedicated connection. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    private static final Logger LOG = Logger.getLogger(SchemaListener.class.getName());
    /** Nothing to sweep: the wait only bounds how long a dead connection goes unnoticed. */
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final ListenLoop loop;

    public SchemaListener(Opener opener, SchemaCache cache) {
        this.loop = ListenLoop.named("gateway-schema-listener").listen("pgrst").opener(opener::open)
                .whileDown("the schema cache is still reloaded every schema-refresh").build();
        loop.start((c, wakeups) -> {
            while (!wakeups.stopping()) {
                if (wakeups.await(WAIT).stream().map(PGNotification::getParameter)
                        .anyMatch(p -> p.isEmpty() || p.equals("reload schema"))) {
                    cache.reload();
                    LOG.info(() -> "schema cache reloaded on NOTIFY pgrst: API versions " + cache.get().versions());
                }
            }
        });
    }

    @Override
    public void close() {
        loop.close();
    }
}
