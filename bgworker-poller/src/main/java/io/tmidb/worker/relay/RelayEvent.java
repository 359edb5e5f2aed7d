// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

/**
 * One event as the relay publishes it: its id (the message id), subject and body, the event as a
 * JSON object ({@code event_id, ts, event_type, kind, target_id, payload}).
 */
public record RelayEvent(long eventId, String subject, byte[] body) {
}
