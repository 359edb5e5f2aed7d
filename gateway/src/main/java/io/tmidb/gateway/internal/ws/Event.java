// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One row of {@code tmi.events_since}: an event with its gap-free id, in commit order. The payload
 * is shared by every session that gets the event and must not be modified.
 */
public record Event(long id, String ts, String type, String kind, String targetId, ObjectNode payload) {
}
