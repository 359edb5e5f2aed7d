// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import java.sql.SQLException;
import java.util.logging.Logger;

/**
 * A message in the relay's stream that the relay did not publish, under the message id of an
 * event (so JetStream drops the real event as a duplicate): an alarm in the log and, through
 * {@code tmi.record_relay_forgery}, in {@code tmi.status()}. The event itself stays readable in
 * {@code tmi.event_log}.
 */
final class Forgeries {
    private static final Logger LOG = Logger.getLogger(Forgeries.class.getName());

    private Forgeries() {
    }

    static void report(CursorStore cursor, long eventId, long sequence, String found) throws SQLException {
        LOG.severe(() -> "relay: the stream holds " + found + " with the message id of event " + eventId
                + ", which the relay did not publish: someone else published to the stream, and JetStream dropped the real"
                + " event as a duplicate. Consumers of the stream got that message instead of event " + eventId
                + " (read the event with tmi.events_since(" + (eventId - 1) + ", 1)). Let only the relay's NATS user publish"
                + " to tmi.> (docs/relay.md, \"Who may publish\").");
        cursor.recordForgery(eventId, sequence, found);
    }
}
