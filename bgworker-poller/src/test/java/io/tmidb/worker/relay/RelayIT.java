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
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

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
                for (RelayEvent e : new EventReader(readerDb).after(0, 1000)) {
                    acks.add(publisher.publish(e));
                }
                for (CompletableFuture<PublishAck> ack : acks) {
                    assertTrue(ack.get(10, java.util.concurrent.TimeUnit.SECONDS).isDuplicate());
                }
                assertEquals(100, publisher.lastStoredEventId());
            }
            // a cursor rolled back: the relay skips what the stream holds and goes on once
            st.execute("UPDATE tmi.relay_cursor SET last_event_id = 40 WHERE name = 'nats'");
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'd' || i, 'dock', 'd' || i FROM generate_series(101, 150) i");
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 150, CATCH_UP);
            }
            assertExactlyOnceInOrder(readStream(nats.url(), "TMI", 150), 150);
        }
    }

    @Test
    void natsStoppedAndKilledDuringALoadLosesNothing(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("outage", false);
        List<LogRecord> warnings = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    synchronized (warnings) {
                        warnings.add(r);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger relayLog = Logger.getLogger("io.tmidb.worker");
        relayLog.addHandler(capture);
        try (NatsServer nats = NatsServer.startNew(); RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of("relay-stream", "EVENTS"));
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
        } finally {
            relayLog.removeHandler(capture);
        }
        synchronized (warnings) {
            assertEquals(2, warnings.size(), () -> "one warning per outage: " + warnings.stream().map(LogRecord::getMessage).toList());
            assertTrue(warnings.get(0).getMessage().contains("nothing is lost") && warnings.get(0).getMessage().contains("nats-url"),
                    warnings.get(0).getMessage());
        }
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
                awaitWritten(load, 600);
                assertEquals(1, Sql.scalarLong(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted"),
                        "one relay holds the cursor");
                assertEquals(1, Sql.scalarLong(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted"),
                        "one relay holds the cursor");
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

    private static void awaitWritten(Load load, int events) throws InterruptedException {
        for (int i = 0; i < 3000 && load.written() < events; i++) {
            Thread.sleep(10);
        }
        assertTrue(load.written() >= events, () -> "the load wrote " + load.written() + " of " + events + " events");
    }
}
