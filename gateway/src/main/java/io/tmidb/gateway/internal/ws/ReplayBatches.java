// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The batches replays read, shared by the sessions of one viewer: replays read aligned ranges of
 * event ids ({@code (k * SIZE, (k + 1) * SIZE]}), so that sessions resuming from nearby cursors
 * (all of a gateway's clients after it restarts) read each range once per viewer instead of once
 * per session. Only full ranges are kept (every id in them numbered); at most {@link #KEPT} of
 * them, the oldest dropped first. What a batch holds is the database's answer for its viewer,
 * as for any replay.
 */
final class ReplayBatches {
    static final int SIZE = 500;
    private static final int KEPT = 400;
    private final Map<Key, SeenBatch> batches = new ConcurrentHashMap<>();
    private final WsDatabase db;

    private record Key(Viewer viewer, long range) {
    }

    ReplayBatches(WsDatabase db) {
        this.db = db;
    }

    /** The events of the aligned range holding {@code id}, as {@code viewer} may see them (fewer at the newest end). */
    SeenBatch holding(Viewer viewer, long id) throws SQLException {
        long range = (id - 1) / SIZE;
        Key key = new Key(viewer, range);
        SeenBatch kept = batches.get(key);
        if (kept != null) {
            return kept;
        }
        SeenBatch read = db.eventsSeen(range * SIZE, SIZE, viewer);
        if (read.size() == SIZE) {
            if (batches.size() >= KEPT) {
                batches.keySet().stream().min((a, b) -> Long.compare(a.range(), b.range())).ifPresent(batches::remove);
            }
            batches.put(key, read);
        }
        return read;
    }
}
