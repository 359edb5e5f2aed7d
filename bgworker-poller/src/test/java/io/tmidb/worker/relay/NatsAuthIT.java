// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.tmidb.cluster.EmbeddedNats;
import io.tmidb.testkit.NatsServer;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.tmidb.worker.relay.RelayRun.assertExactlyOnceInOrder;
import static io.tmidb.worker.relay.RelayRun.awaitCursor;
import static io.tmidb.worker.relay.RelayRun.readStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node's NATS users (EmbeddedNats) on a real nats-server: the relay publishes as the
 * publisher, subscribers read the stream and can neither publish events nor change the stream,
 * and a message published under an event's id by anyone but the relay is an alarm.
 */
@TmidbTest
class NatsAuthIT {
    private static final Duration CATCH_UP = Duration.ofSeconds(60);
    private static final EmbeddedNats.Credentials KEYS = new EmbeddedNats.Credentials("pub-" + "a1b2c3", "sub-" + "d4e5f6");

    @Test
    void subscribersReadTheStreamAndCannotPublishEventsOrChangeIt(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("natsauth", false);
        try (NatsServer nats = NatsServer.startNew(EmbeddedNats.authorization(KEYS).toArray(String[]::new));
             java.sql.Connection c = fresh.connect(); Statement st = c.createStatement()) {
            String publisher = nats.url(EmbeddedNats.PUBLISHER, KEYS.publisherPassword());
            String subscriber = nats.url(EmbeddedNats.SUBSCRIBER, KEYS.subscriberPassword());
            IOException anonymous = assertThrows(IOException.class, () -> Nats.connect(
                    new Options.Builder().server(nats.url()).noReconnect().maxReconnects(0).build()));
            assertTrue(String.valueOf(anonymous.getMessage()).contains("Authorization Violation"), anonymous.toString());

            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(1, 20) i");
            try (RelayRun relay = RelayRun.start(fresh, publisher, Map.of())) {
                awaitCursor(fresh, "nats", 20, CATCH_UP);

                // the subscriber forges event 21, as one did before the node had users: refused by the server
                List<String> errors = new CopyOnWriteArrayList<>();
                try (Connection reader = Nats.connect(new Options.Builder().server(subscriber).errorListener(collect(errors)).build())) {
                    var js = reader.jetStream(JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build());
                    assertThrows(IOException.class, () -> js.publish("tmi.dock._.target.created",
                            "{\"forged\": true}".getBytes(StandardCharsets.UTF_8), PublishOptions.builder().messageId("21").build()));
                    assertThrows(Exception.class, () -> reader.jetStreamManagement().deleteStream("TMI"));
                    assertThrows(Exception.class, () -> reader.jetStreamManagement().purgeStream("TMI"));
                    reader.flush(Duration.ofSeconds(5));
                }
                assertTrue(errors.stream().anyMatch(e -> e.contains("Permissions Violation for Publish to \"tmi.dock._.target.created\"")),
                        errors.toString());
                assertTrue(errors.stream().anyMatch(e -> e.contains("Permissions Violation for Publish to \"$JS.API.STREAM.DELETE.TMI\"")),
                        errors.toString());

                st.execute("INSERT INTO tmi.target (name, kind, ext_key) VALUES ('d21', 'dock', 'd21')");
                awaitCursor(fresh, "nats", 21, CATCH_UP);
            }
            // every event, the 21st the real one, read with the subscriber's credentials
            List<Message> got = readStream(subscriber, "TMI", 21);
            assertExactlyOnceInOrder(got, 21);
            assertTrue(new String(got.get(20).getData(), StandardCharsets.UTF_8).contains("\"ext_key\": \"d21\""));
            assertEquals("0", Sql.scalar(c, "SELECT forged_messages FROM tmi.relay_cursor WHERE name = 'nats'"));
            assertEquals("ok", Sql.scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'relay'"));
        }
    }

    @Test
    void aMessageTheRelayDidNotPublishUnderAnEventsIdIsAnAlarm(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("forged", false);
        Warnings warnings = Warnings.capture();
        try (warnings; NatsServer nats = NatsServer.startNew(EmbeddedNats.authorization(KEYS).toArray(String[]::new));
             java.sql.Connection c = fresh.connect(); Statement st = c.createStatement()) {
            String publisher = nats.url(EmbeddedNats.PUBLISHER, KEYS.publisherPassword());
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(1, 5) i");
            try (RelayRun relay = RelayRun.start(fresh, publisher, Map.of())) {
                awaitCursor(fresh, "nats", 5, CATCH_UP);
                // someone holding the publisher's credentials stores event 6 before it exists
                try (Connection forger = Nats.connect(publisher)) {
                    assertEquals(6, forger.jetStream().publish("tmi.dock._.target.created",
                            "{\"event_id\" : 6, \"forged\": true}".getBytes(StandardCharsets.UTF_8),
                            PublishOptions.builder().messageId("6").build()).getSeqno());
                }
                st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(6, 8) i");
                awaitCursor(fresh, "nats", 8, CATCH_UP);
            }
            // the relay went on, and says what it found in place of event 6
            assertEquals(List.of("1", "6"), Sql.column(c, "SELECT forged_messages || '' FROM tmi.relay_cursor WHERE name = 'nats'"
                    + " UNION ALL SELECT last_forged_event_id || '' FROM tmi.relay_cursor WHERE name = 'nats'"));
            assertEquals("alarm", Sql.scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'relay'"));
            String detail = Sql.scalar(c, "SELECT detail FROM tmi.status() WHERE subsystem = 'relay'");
            assertTrue(detail.contains("1 forged messages in its stream, the last in place of event 6")
                    && detail.contains("stream sequence 6: message 6 on tmi.dock._.target.created"), detail);
            assertTrue(warnings.texts().stream().anyMatch(t -> t.startsWith("relay: the stream holds message 6 on tmi.dock._.target.created")
                    && t.contains("with the message id of event 6, which the relay did not publish")), warnings.texts().toString());
            // forged at the stream's tail while no relay runs: found when the relay starts, nothing skipped
            try (Connection forger = Nats.connect(publisher)) {
                forger.jetStream().publish("tmi.dock._.target.created", "{}".getBytes(StandardCharsets.UTF_8),
                        PublishOptions.builder().messageId("9").build());
            }
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(9, 10) i");
            try (RelayRun relay = RelayRun.start(fresh, publisher, Map.of())) {
                awaitCursor(fresh, "nats", 10, CATCH_UP);
            }
            assertEquals(List.of("2", "9"), Sql.column(c, "SELECT forged_messages || '' FROM tmi.relay_cursor WHERE name = 'nats'"
                    + " UNION ALL SELECT last_forged_event_id || '' FROM tmi.relay_cursor WHERE name = 'nats'"));
            List<Message> got = readStream(nats.url(EmbeddedNats.SUBSCRIBER, KEYS.subscriberPassword()), "TMI", 10);
            assertTrue(new String(got.get(9).getData(), StandardCharsets.UTF_8).startsWith("{\"event_id\" : 10,"));
            // an admin who dealt with it clears the alarm
            st.execute("UPDATE tmi.relay_cursor SET forged_messages = 0");
            assertEquals("ok", Sql.scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'relay'"));
        }
    }

    private static ErrorListener collect(List<String> errors) {
        return new ErrorListener() {
            @Override
            public void errorOccurred(Connection conn, String error) {
                errors.add(error);
            }
        };
    }
}
