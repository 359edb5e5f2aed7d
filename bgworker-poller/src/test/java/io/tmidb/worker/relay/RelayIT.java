// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.Message;
import io.nats.client.api.PublishAck;
import io.tmidb.testkit.NatsServer;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.tmidb.worker.relay.RelayRun.assertExactlyOnceInOrder;
import static io.tmidb.worker.relay.RelayRun.awaitCursor;
import static io.tmidb.worker.relay.RelayRun.eventCount;
import static io.tmidb.worker.relay.RelayRun.readStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay against a real nats-server: order, subjects, duplicates, outages, restarts. */
@TmidbTest
class RelayIT {
    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    @Test
    void relaysEveryEventInOrderWithItsSubject(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("order", false);
        try (NatsServer nats = NatsServer.startNew(); java.sql.Connection c = fresh.connect(); Statement st = c.createStatement()) {
            String bike = Sql.scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{}', 'B1')");
            st.execute("SELECT tmi.observe('" + bike + "', now(), '{\"battery\": 80}', 37.5, 127.0)");
            // a row no trigger writes: no kind, no target, a type with characters subjects cannot carry
            st.execute("INSERT INTO tmi.event_log (event_type, payload) VALUES ('odd type.x*y', '{\"n\": 1}')");
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 4, CATCH_UP);
                // written while the relay runs: the notification wakes it
                for (int i = 0; i < 200; i++) {
                    st.execute("SELECT tmi.observe('" + bike + "', now(), '{\"battery\": " + i + "}')");
                }
                awaitCursor(fresh, "nats", 204, CATCH_UP);
            }
            List<Message> got = readStream(nats.url(), "TMI", 204);
            assertExactlyOnceInOrder(got, 204);
            assertEquals(List.of("tmi.bike." + bike + ".target.created", "tmi.bike." + bike + ".obs",
                    "tmi.bike." + bike + ".position", "tmi._._.odd_type.x_y", "tmi.bike." + bike + ".obs"),
                    got.subList(0, 5).stream().map(Message::getSubject).toList());
            String body = new String(got.get(3).getData(), StandardCharsets.UTF_8);
            assertTrue(body.contains("\"event_type\" : \"odd type.x*y\"") && body.contains("\"payload\" : {\"n\": 1}"), body);
            assertTrue(new String(got.get(203).getData(), StandardCharsets.UTF_8).contains("\"battery\": 199"));
        }
    }

    @Test
    void theStreamDropsEventsItHoldsAlready(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("dedup", false);
        try (NatsServer nats = NatsServer.startNew(); java.sql.Connection c = fresh.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(1, 100) i");
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 100, CATCH_UP);
            }
            // the same events again, as after a crash that lost the acknowledgements: all duplicates
            RelayConfig config = RelayConfig.from(io.tmidb.worker.WorkerSettings.of(Map.of("nats-url", nats.url())));
            List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
            try (java.sql.Connection readerDb = fresh.connect(); JetStreamPublisher publisher = JetStreamPublisher.connect(config)) {
                for (RelayEvent e : EventRelay.reader(readerDb).after(0, 1000)) {
                    acks.add(publisher.publish(e));
                }
                for (CompletableFuture<PublishAck> ack : acks) {
                    assertTrue(ack.get(10, java.util.concurrent.TimeUnit.SECONDS).isDuplicate());
                }
                assertEquals(100, publisher.lastStored().eventId());
            }
            // a cursor rolled back: the relay skips what the stream holds and goes on once
            st.execute("UPDATE tmi.relay_cursor SET last_event_id = 40 WHERE name = 'nats'");
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(101, 150) i");
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 150, CATCH_UP);
            }
            assertExactlyOnceInOrder(readStream(nats.url(), "TMI", 150), 150);
            // the duplicates were the relay's own events: no alarm
            assertEquals(0, Sql.scalarLong(c, "SELECT forged_messages FROM tmi.relay_cursor WHERE name = 'nats'"));
        }
    }

    @Test
    void aPublishThatDoesNotFollowTheStreamsLastMessageIsRefused(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("sequence", false);
        try (NatsServer nats = NatsServer.startNew(); java.sql.Connection c = fresh.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'q' || i, 'quay', 'q' || i FROM generate_series(1, 3) i");
            RelayConfig config = RelayConfig.from(io.tmidb.worker.WorkerSettings.of(Map.of("nats-url", nats.url())));
            try (java.sql.Connection readerDb = fresh.connect(); JetStreamPublisher publisher = JetStreamPublisher.connect(config);
                 io.nats.client.Connection other = io.nats.client.Nats.connect(nats.url())) {
                // the stream moves on after the relay connected, as when a leader stored what the relay did not count on
                other.jetStream().publish("tmi.quay._.note", "{}".getBytes(StandardCharsets.UTF_8));
                AckWindow window = new AckWindow(0);
                for (RelayEvent e : EventRelay.reader(readerDb).after(0, 3)) {
                    window.add(e.eventId(), publisher.publish(e));
                }
                RelayException refused = org.junit.jupiter.api.Assertions.assertThrows(RelayException.class,
                        () -> window.awaitAll(Duration.ofSeconds(10), publisher::connected));
                assertTrue(refused.outOfStep() && refused.getMessage().contains("event 1 was not stored")
                        && refused.getMessage().contains("wrong last sequence: 1"), refused.getMessage());
                assertEquals(1, other.jetStreamManagement().getStreamInfo("TMI").getStreamState().getMsgCount(),
                        "nothing stored behind the message the relay did not count on");
            }
            // the relay itself starts after the stream's last message and stores the events, in order
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 3, CATCH_UP);
            }
            List<Message> got = readStream(nats.url(), "TMI", 4);
            assertEquals(List.of("note", "1", "2", "3"), got.stream()
                    .map(m -> m.getHeaders() == null ? "note" : m.getHeaders().getFirst("Nats-Msg-Id")).toList());
        }
    }

    @Test
    void natsStoppedAndKilledDuringALoadLosesNothing(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("outage", false);
        Warnings warnings = Warnings.capture();
        try (warnings; NatsServer nats = NatsServer.startNew(); RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of("relay-stream", "EVENTS"));
             Load load = Load.start(fresh, "o")) {
            awaitWritten(load, 300);
            nats.stop();
            // about two seconds down: several attempts to reconnect
            awaitWritten(load, load.written() + 3000);
            try (java.sql.Connection c = fresh.connect()) {
                assertTrue(Sql.scalarLong(c, "SELECT events_behind FROM tmi.relay_status() WHERE name = 'nats'") > 0,
                        "events wait in event_log while NATS is down");
            }
            nats.start();
            awaitWritten(load, load.written() + 300);
            RelayRun.awaitCursorPast(fresh, "nats", load.written(), CATCH_UP); // back in business
            nats.kill();
            awaitWritten(load, load.written() + 2000);
            nats.start();
            awaitWritten(load, load.written() + 200);
            int written = load.finish();
            assertEquals(written, eventCount(fresh));
            awaitCursor(fresh, "nats", written, CATCH_UP);
            assertExactlyOnceInOrder(readStream(nats.url(), "EVENTS", written), written);
        }
        List<String> said = warnings.texts();
        assertEquals(2, said.size(), () -> "one warning per outage: " + said);
        assertTrue(said.get(0).contains("nothing is lost") && said.get(0).contains("nats-url"), said.get(0));
    }

    @Test
    void aRelayStoppedDuringALoadResumesAtItsCursor(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("restart", false);
        try (NatsServer nats = NatsServer.startNew(); Load load = Load.start(fresh, "r")) {
            for (int round = 0; round < 3; round++) {
                try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of("relay-window", "50"))) {
                    awaitWritten(load, load.written() + 400);
                }
                // stopped between acknowledgements: it resumes after the last acknowledged event
                awaitWritten(load, load.written() + 100);
            }
            int written = load.finish();
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", written, CATCH_UP);
            }
            assertExactlyOnceInOrder(readStream(nats.url(), "TMI", written), written);
        }
    }

    @Test
    void oneRelayPerCursor(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("single", false);
        try (NatsServer nats = NatsServer.startNew(); Load load = Load.start(fresh, "s")) {
            try (RelayRun first = RelayRun.start(fresh, nats.url(), Map.of()); RelayRun second = RelayRun.start(fresh, nats.url(), Map.of());
                 java.sql.Connection c = fresh.connect()) {
                String holders = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted";
                for (int i = 0; i < 200 && Sql.scalarLong(c, holders) == 0; i++) {
                    Thread.sleep(50);
                }
                awaitWritten(load, load.written() + 600);
                assertEquals(1, Sql.scalarLong(c, holders), "one relay holds the cursor");
                first.close(); // the other one takes the cursor over
                awaitWritten(load, load.written() + 400);
            }
            int written = load.finish();
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", written, CATCH_UP);
            }
            assertExactlyOnceInOrder(readStream(nats.url(), "TMI", written), written);
        }
    }

    @Test
    void anEventTooLargeForNatsBecomesANoticeInItsPlace(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("large", false);
        try (NatsServer nats = NatsServer.startNew("max_payload: 4096"); java.sql.Connection c = fresh.connect();
             Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.event_log (event_type, payload) VALUES ('big', jsonb_build_object('text', repeat('x', 8000)))");
            st.execute("INSERT INTO tmi.event_log (event_type, payload) VALUES ('small', '{\"n\": 2}')");
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 2, CATCH_UP);
            }
            List<Message> got = readStream(nats.url(), "TMI", 2);
            assertEquals(List.of("tmi._._.big", "tmi._._.small"), got.stream().map(Message::getSubject).toList());
            assertEquals("1", got.get(0).getHeaders().getFirst("Nats-Msg-Id"));
            String notice = new String(got.get(0).getData(), StandardCharsets.UTF_8);
            assertTrue(notice.startsWith("{\"event_id\": 1, \"payload_omitted\": true, \"bytes\": "), notice);
            assertTrue(new String(got.get(1).getData(), StandardCharsets.UTF_8).contains("\"payload\" : {\"n\": 2}"));
        }
    }

    @Test
    void aStreamOfAnotherDatabaseIsRefused(TestDatabase db) throws Exception {
        TestDatabase first = db.sibling("owner", false);
        TestDatabase second = db.sibling("other", false);
        try (NatsServer nats = NatsServer.startNew(); java.sql.Connection c1 = first.connect(); Statement s1 = c1.createStatement();
             java.sql.Connection c2 = second.connect(); Statement s2 = c2.createStatement()) {
            s1.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'a' || i, 'ant', 'a' || i FROM generate_series(1, 10) i");
            try (RelayRun relay = RelayRun.start(first, nats.url(), Map.of())) {
                awaitCursor(first, "nats", 10, CATCH_UP);
            }
            s2.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'b' || i, 'bee', 'b' || i FROM generate_series(1, 3) i");
            try (Warnings warnings = Warnings.capture(); RelayRun relay = RelayRun.start(second, nats.url(), Map.of())) {
                for (int i = 0; i < 200 && warnings.records().isEmpty(); i++) {
                    Thread.sleep(50);
                }
                List<String> said = warnings.texts();
                assertTrue(!said.isEmpty() && said.get(0).contains("another database") && said.get(0).contains("relay-stream"),
                        said::toString);
            }
            assertEquals("0", Sql.scalar(c2, "SELECT last_event_id FROM tmi.relay_cursor"));
            assertExactlyOnceInOrder(readStream(nats.url(), "TMI", 10), 10);
        }
    }

    private static void awaitWritten(Load load, int events) throws InterruptedException {
        for (int i = 0; i < 3000 && load.written() < events; i++) {
            Thread.sleep(10);
        }
        assertTrue(load.written() >= events, () -> "the load wrote " + load.written() + " of " + events + " events");
    }
}
