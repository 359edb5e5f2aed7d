// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PushSubscribeOptions;
import io.tmidb.cluster.Cluster;
import io.tmidb.testkit.NatsServer;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.ScratchReplica;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerMain;
import io.tmidb.worker.WorkerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A switchover under load: a primary and its streaming replica, a worker (mapping, the relay to a
 * real nats-server) and a gateway, both given a connection string naming the two servers with
 * {@code targetServerType=primary}, as a deployment gives them. A client sends readings through
 * the gateway's webhook all along, each document again until it is answered 201. The primary is
 * stopped (a clean stop, which sends the replica every WAL record), the replica promoted as
 * {@code tmictl promote} does, and the worker and gateway carry on against it on their own. At
 * the end the promoted server holds every reading sent, once; its events carry each reading once,
 * numbered without gap or duplicate; and the stream holds every event once, in order.
 * The test runs a cluster of its own (it stops the primary), not the run's shared one.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PromoteIT {
    private static final String DB = "promote";
    private static final String RULE = """
            {"iterate": "$.readings[*]", "kind": "meter", "key": "$.id", "timestamp": {"path": "$.t", "format": "epoch_ms"},
             "fields": {"temp": {"path": "$.temp", "type": "number"}}}""";
    private static final long T0 = 1_767_225_600_000L;
    /** Readings the client sends before the switch, and after it. */
    private static final int EACH_SIDE = 40;

    @Test
    void theWorkerAndTheGatewayFollowThePromotedReplicaWithNothingLostOrDuplicated() throws Exception {
        try (NatsServer nats = NatsServer.startNew(); ScratchCluster primary = ScratchCluster.start()) {
            TestDatabase db = primary.createDatabase(DB, false);
            try (java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
                st.execute("SELECT tmi.add_mapping('meters', '" + RULE + "')");
            }
            try (ScratchReplica replica = ScratchReplica.start(primary.cluster(), "promote_it")) {
                Cluster promoted = replica.cluster();
                String url = "jdbc:postgresql://localhost:" + primary.cluster().port() + ",localhost:" + promoted.port() + "/" + DB
                        + "?targetServerType=primary&hostRecheckSeconds=1";
                WorkerSettings ws = WorkerSettings.of(Map.of("db-url", url, "db-user", Cluster.SUPERUSER,
                        "db-password", primary.cluster().superuserPassword(), "nats-url", nats.url(), "sweep-interval", "PT0.2S",
                        "relay-ack-timeout", "PT2S", "relay-max-backoff", "PT0.5S"));
                long acked;
                try (Worker worker = Worker.start(new WorkerContext(WorkerMain.database(ws), ws), WorkerMain.services())) {
                    try (GatewayFixture gw = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, Map.of("db-url", url))), db);
                         Client client = new Client(gw)) {
                        await(() -> client.acked() >= EACH_SIDE, "readings answered before the switch");
                        primary.cluster().stop();
                        promoted.promote();
                        long atSwitch = client.acked();
                        await(() -> client.acked() >= atSwitch + EACH_SIDE, "readings answered after the switch");
                        client.close();
                        acked = client.acked();
                    }
                    await(() -> scalar(promoted, "SELECT count(*) FROM tmi.raw_bucket WHERE status <> 'mapped'") == 0,
                            "every document mapped on the promoted server");
                    try (java.sql.Connection c = promoted.connect(DB, TestDatabase.TEST_APP_NAME)) {
                        assertEquals(acked, Sql.scalarLong(c, "SELECT count(*) FROM tmi.ts_obs WHERE ts < to_timestamp(("
                                + T0 + " + " + acked + " * 1000) / 1000.0)"), "every reading answered 201 is stored");
                        // and the one sent last, when its answer was cut short by the end of the test
                        long stored = Sql.scalarLong(c, "SELECT count(*) FROM tmi.ts_obs");
                        assertTrue(stored == acked || stored == acked + 1, stored + " readings stored, " + acked + " answered");
                        assertEquals(stored, Sql.scalarLong(c, "SELECT count(DISTINCT (target_id, ts)) FROM tmi.ts_obs"),
                                "no reading twice");
                        await(() -> scalar(promoted, "SELECT count(*) FROM tmi.event_log WHERE event_id IS NULL") == 0, "events numbered");
                        long events = Sql.scalarLong(c, "SELECT count(*) FROM tmi.event_log");
                        assertEquals(events + "|" + events + "|1|" + events, Sql.scalar(c,
                                "SELECT concat_ws('|', count(*), count(DISTINCT event_id), min(event_id), max(event_id)) FROM tmi.event_log"),
                                "events numbered 1..n, each once");
                        assertEquals(stored + "|" + stored, Sql.scalar(c, "SELECT count(*) || '|' || count(DISTINCT o ->> 'obs_id')"
                                        + " FROM tmi.event_log, jsonb_array_elements(payload -> 'obs') o WHERE event_type = 'obs'"),
                                "each reading is in one event, once");
                        await(() -> scalar(promoted, "SELECT last_event_id FROM tmi.relay_cursor WHERE name = 'nats'") == events,
                                "the relay published every event");
                        assertExactlyOnceInOrder(readStream(nats.url(), events), events);
                    }
                }
            }
        }
    }

    /** Sends one document of one reading after another to the gateway's webhook, each until it is answered 201. */
    private static final class Client implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong acked = new AtomicLong();
        private final Thread thread;

        Client(GatewayFixture gw) {
            String token = "Bearer " + gw.speaker();
            thread = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    String doc = "{\"readings\": [{\"id\": \"M" + (i % 20) + "\", \"t\": " + (T0 + i * 1000) + ", \"temp\": " + i + "}]}";
                    while (!stop.get() && !answered(gw, token, doc)) {
                        pause();
                    }
                    if (!stop.get()) {
                        acked.incrementAndGet();
                    }
                }
            }, "promote-it-client");
            thread.start();
        }

        private static boolean answered(GatewayFixture gw, String token, String doc) {
            try {
                HttpResponse<String> r = gw.send("POST", "/ingest/meters", doc, "Authorization", token, "Content-Type", "application/json");
                return r.statusCode() == 201;
            } catch (UncheckedIOException e) {
                return false;
            }
        }

        private static void pause() {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long acked() {
            return acked.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(60_000);
        }
    }

    private static long scalar(Cluster cluster, String sql) {
        try (java.sql.Connection c = cluster.connect(DB, TestDatabase.TEST_APP_NAME)) {
            String v = Sql.scalar(c, sql);
            return v == null ? -1 : Long.parseLong(v);
        } catch (SQLException e) {
            return -1;
        }
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + ": not within 120 s");
            }
            Thread.sleep(100);
        }
    }

    /** Every message of the relay's stream, read from its start until {@code expected} arrived; the stream holds no more. */
    private static List<Message> readStream(String natsUrl, long expected) throws Exception {
        List<Message> got = new ArrayList<>();
        try (Connection nc = Nats.connect(natsUrl)) {
            JetStreamSubscription sub = nc.jetStream().subscribe("tmi.>", PushSubscribeOptions.builder().stream("TMI").ordered(true).build());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (got.size() < expected && System.nanoTime() < deadline) {
                Message m = sub.nextMessage(Duration.ofMillis(500));
                if (m != null) {
                    got.add(m);
                }
            }
            assertEquals(expected, nc.jetStreamManagement().getStreamInfo("TMI").getStreamState().getMsgCount(), "messages in the stream");
        }
        return got;
    }

    private static void assertExactlyOnceInOrder(List<Message> messages, long n) {
        assertEquals(n, messages.size(), "messages read");
        for (int i = 0; i < messages.size(); i++) {
            String id = messages.get(i).getHeaders().getFirst("Nats-Msg-Id");
            assertEquals(String.valueOf(i + 1), id, "message " + (i + 1) + " of the stream");
            assertTrue(new String(messages.get(i).getData(), StandardCharsets.UTF_8).startsWith("{\"event_id\" : " + (i + 1) + ","));
        }
    }
}
