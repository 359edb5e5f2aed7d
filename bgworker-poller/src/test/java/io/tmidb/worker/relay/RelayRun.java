// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PushSubscribeOptions;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerLogin;
import io.tmidb.worker.WorkerSettings;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Runs the relay as tmidb-worker does, on a test database, and reads what reached the stream. */
public final class RelayRun implements AutoCloseable {
    /** Settings that make tests quick: short sweeps, acks and pauses. */
    public static final Map<String, String> QUICK = Map.of("sweep-interval", "PT0.5S", "relay-ack-timeout", "PT2S",
            "relay-max-backoff", "PT0.5S");

    private final Worker worker;

    private RelayRun(Worker worker) {
        this.worker = worker;
    }

    static RelayRun start(TestDatabase db, String natsUrl, Map<String, String> extra) throws SQLException {
        Map<String, String> settings = new HashMap<>(QUICK);
        settings.put("nats-url", natsUrl);
        settings.putAll(extra);
        return new RelayRun(Worker.start(new WorkerContext(WorkerLogin.of(db), WorkerSettings.of(settings)), List.of(new EventRelay())));
    }

    @Override
    public void close() throws InterruptedException {
        worker.close();
    }

    /** Waits (at most {@code timeout}) until cursor {@code name} is at event {@code lastId}. */
    public static void awaitCursor(TestDatabase db, String name, long lastId, Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (java.sql.Connection c = db.connect()) {
            String at = null;
            while (System.nanoTime() < deadline) {
                List<String> rows = Sql.column(c, "SELECT last_event_id FROM tmi.relay_cursor WHERE name = '" + name + "'");
                at = rows.isEmpty() ? null : rows.get(0);
                if (String.valueOf(lastId).equals(at)) {
                    return;
                }
                Thread.sleep(50);
            }
            fail("cursor " + name + " at " + at + ", not at " + lastId + " after " + timeout);
        }
    }

    /** Waits (at most {@code timeout}) until cursor {@code name} is at event {@code eventId} or beyond. */
    static void awaitCursorPast(TestDatabase db, String name, long eventId, Duration timeout) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (java.sql.Connection c = db.connect()) {
            long at = -1;
            while (System.nanoTime() < deadline) {
                List<String> rows = Sql.column(c, "SELECT last_event_id FROM tmi.relay_cursor WHERE name = '" + name + "'");
                at = rows.isEmpty() ? -1 : Long.parseLong(rows.get(0));
                if (at >= eventId) {
                    return;
                }
                Thread.sleep(50);
            }
            fail("cursor " + name + " at " + at + ", not yet at " + eventId + " after " + timeout);
        }
    }

    /** How many events the database holds (the load's transactions all commit, so ids run 1..n). */
    static long eventCount(TestDatabase db) throws SQLException {
        try (java.sql.Connection c = db.connect()) {
            return Sql.scalarLong(c, "SELECT count(*) FROM tmi.event_log");
        }
    }

    /**
     * Every message of {@code stream}, read from its start with an ordered JetStream consumer until
     * {@code expected} arrived (or 60 s passed); asserts that the stream holds no more than that.
     */
    public static List<Message> readStream(String natsUrl, String stream, long expected) throws Exception {
        List<Message> got = new ArrayList<>();
        try (Connection nc = Nats.connect(natsUrl)) {
            JetStreamSubscription sub = nc.jetStream().subscribe("tmi.>",
                    PushSubscribeOptions.builder().stream(stream).ordered(true).build());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (got.size() < expected && System.nanoTime() < deadline) {
                Message m = sub.nextMessage(Duration.ofMillis(500));
                if (m != null) {
                    got.add(m);
                }
            }
            assertEquals(expected, nc.jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount(),
                    "messages in stream " + stream);
        }
        return got;
    }

    /** Asserts that the messages are events 1..n, each once, ascending, with Nats-Msg-Id = event id. */
    public static void assertExactlyOnceInOrder(List<Message> messages, long n) {
        assertEquals(n, messages.size(), "messages read");
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            String id = m.getHeaders().getFirst("Nats-Msg-Id");
            if (!String.valueOf(i + 1).equals(id)) {
                fail("message " + (i + 1) + " of the stream is event " + id);
            }
            String body = new String(m.getData(), java.nio.charset.StandardCharsets.UTF_8);
            if (!body.startsWith("{\"event_id\" : " + (i + 1) + ",")) {
                fail("message " + (i + 1) + " has body " + body);
            }
        }
    }
}
