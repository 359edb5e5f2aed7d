// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import java.util.function.LongConsumer;

/**
 * What one request's reads must see and whom to tell where its write ended, so that a client reads
 * its own writes from a replica: {@code readAfter} is the WAL position (see {@link Lsn}) the client
 * wrote up to (0: none), which a replica must have replayed before it answers the read;
 * {@code committed} is told the primary's WAL position after the request's write committed.
 */
public record Consistency(long readAfter, LongConsumer committed) {
    /** For what the gateway reads on its own behalf, and for a gateway without replicas: nothing to wait for or to tell. */
    public static final Consistency NONE = new Consistency(0, lsn -> {
    });
}
