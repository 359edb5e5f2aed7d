// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

/** One event of {@code tmi.event_log} with its gap-free id, in commit order; its payload comes per viewer. */
record Event(long id, String ts, String type, String kind, String targetId) {
}
