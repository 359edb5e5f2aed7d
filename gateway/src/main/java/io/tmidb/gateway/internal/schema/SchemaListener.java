// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;

/**
 * Reloads the schema cache when the database says so, with PostgREST's signal:
 * {@code NOTIFY pgrst, 'reload schema'} (or an empty payload). It holds one connection of its own
 * with {@code LISTEN pgrst} ({@link ChannelListener}); the periodic reload covers any gap.
 */
public final class SchemaListener implements AutoCloseable {
    /** Opens the dedicated connection. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    private static final Logger LOG = Logger.getLogger(SchemaListener.class.getName());
    private final ChannelListener listener;

    public SchemaListener(Opener opener, SchemaCache cache) {
        this.listener = new ChannelListener("pgrst", opener, () -> { }, payloads -> {
            if (payloads.stream().anyMatch(p -> p.isEmpty() || p.equals("reload schema"))) {
                cache.reload();
                LOG.info(() -> "schema cache reloaded on NOTIFY pgrst: API versions " + cache.get().versions());
            }
        }, "the cache is still reloaded every schema-refresh");
    }

    @Override
    public void close() {
        listener.close();
    }
}
