// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.List;

/**
 * Who reads a stream and which fields it asked for: the listener whose rule applies (null: a
 * speaker or admin, who may read everything) and the client's own choice of fields (null: all it
 * may read). Sessions with the same viewer get the same frames. What the listener may read is the
 * database's to say ({@code tmi.listener_scope}, applied by {@code tmi.events_seen}).
 */
record Viewer(String listener, List<String> fields) {
    Viewer {
        fields = fields == null ? null : List.copyOf(fields);
    }
}
