// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several gateways over one database, as behind a load balancer without sticky sessions: a
 * WebSocket client that loses its gateway (stopped, or only its connection dropped) connects to
 * another one with its cursor and has every event of its filter once, in order, across the
 * switch, as {@code tmi.event_log} has them; a token revoked while connected is refused by every
 * gateway. Each gateway is a real one on a port of its own; the readings are written from another
 * thread all along.
 */
@TmidbTest
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManyGatewaysIT {
    /** The listener's filter: one bike's readings (its subscription covers both bikes and the battery field). */
    private static String onlyB1;
    /** The speaker's filter: every event of the bikes. */
    private static final String BIKES = "\"kinds\": [\"bike\"]";
    private static TestDatabase db;
    private static String b1;
    private static String b2;
    private static String c1;
    private static String carolToken;

    @BeforeAll
    static void prepare(TestDatabase database) throws SQLException {
        db = database;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            b1 = Sql.scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80}', 'B1')");
            b2 = Sql.scalar(c, "SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 60}', 'B2')");
            c1 = Sql.scalar(c, "SELECT tmi.add_target('Car 1', 'car', '{\"fuel\": 50}', 'C1')");
            st.execute("SELECT tmi.add_listener('carol'), tmi.subscribe('carol', 'bike', ARRAY['battery'])");
            st.execute("SELECT tmi.add_listener('dave'), tmi.subscribe('dave', 'bike')");
            carolToken = Sql.scalar(c, "SELECT tmi.issue_token('carol', '5 minutes')");
        }
        onlyB1 = "\"targets\": [\"" + b1 + "\"], \"events\": [\"obs\"]";
    }

    /** Another gateway over the test database, on a free port of its own. */
    private static GatewayFixture gateway() throws SQLException {
        return GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, Map.of("ws-heartbeat", "PT1S"))), db);
    }

    @Test
    void aClientWhoseGatewayStopsResumesOnAnotherWithoutGapOrDuplicate() throws Exception {
        GatewayFixture a = gateway();
        GatewayFixture b = gateway();
        boolean aStopped = false;
        try {
            long start = db.lastEventId();
            Follower carol = new Follower(carolToken, onlyB1, start);
            Follower speaker = new Follower(a.speaker(), BIKES, start);
            long switched;
            try (Load load = new Load(b1, b2, c1)) {
                carol.connect(a);
                speaker.connect(a);
                carol.awaitEvents(30);
                speaker.awaitEvents(60);
                a.close();
                aStopped = true;
                assertEquals(1001, carol.client.closeCode(10), "a stopping gateway closes its clients with 1001");
                assertEquals(1001, speaker.client.closeCode(10));
                carol.drain();
                speaker.drain();
                switched = carol.cursor;
                // the load goes on while nobody listens: B replays those events from the database
                carol.connect(b);
                speaker.connect(b);
                carol.awaitEvents(30);
                speaker.awaitEvents(60);
            }
            long last = db.lastEventId();
            carol.finish(last);
            speaker.finish(last);

            List<Long> due = db.eventIds("target_id = '" + b1 + "' AND event_type = 'obs' AND event_id > " + start + " AND event_id <= " + last);
            assertTrue(due.get(0) <= switched && due.get(due.size() - 1) > switched, "the listener's events lie on both sides of the switch");
            assertEquals(due, WsClient.ids(carol.events), "the listener has its filter's events, in order, once, across gateways");
            assertTrue(carol.events.stream().allMatch(e -> e.path("payload").path("obs").get(0).path("payload").toString()
                    .matches("\\{\"battery\":\\d+}")), "each gateway sends the listener only its fields");
            assertEquals(db.eventIds("kind = 'bike' AND event_id > " + start + " AND event_id <= " + last), WsClient.ids(speaker.events),
                    "the speaker has every bike event, in order, once, across gateways");
        } finally {
            if (!aStopped) {
                a.close();
            }
            b.close();
        }
    }

    @Test
    void aClientWhoseConnectionDropsResumesOnAnotherRunningGateway() throws Exception {
        GatewayFixture a = gateway();
        GatewayFixture b = gateway();
        try {
            long start = db.lastEventId();
            Follower carol = new Follower(carolToken, onlyB1, start);
            // stays on A all along: A keeps serving while carol comes and goes
            Follower speaker = new Follower(a.speaker(), BIKES, start);
            List<Long> switches = new ArrayList<>();
            try (Load load = new Load(b1, b2, c1)) {
                speaker.connect(a);
                carol.connect(a);
                // A, then B, then A again: neither gateway keeps anything about the client between connections
                for (GatewayFixture next : List.of(b, a)) {
                    carol.awaitEvents(30);
                    carol.client.abort();
                    carol.drain();
                    switches.add(carol.cursor);
                    carol.connect(next);
                }
                carol.awaitEvents(30);
            }
            long last = db.lastEventId();
            carol.finish(last);
            speaker.finish(last);

            List<Long> due = db.eventIds("target_id = '" + b1 + "' AND event_type = 'obs' AND event_id > " + start + " AND event_id <= " + last);
            assertTrue(due.get(due.size() - 1) > switches.get(1), "the listener's events go on after its second switch");
            assertEquals(due, WsClient.ids(carol.events), "the listener has its filter's events, in order, once, across dropped connections");
            assertEquals(db.eventIds("kind = 'bike' AND event_id > " + start + " AND event_id <= " + last), WsClient.ids(speaker.events),
                    "a client that stayed on A has every bike event, in order, once");
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aTokenRevokedWhileConnectedIsRefusedByEveryGateway() throws Exception {
        String token;
        try (Connection c = db.connect()) {
            token = Sql.scalar(c, "SELECT tmi.issue_token('dave', '5 minutes')");
        }
        try (GatewayFixture a = gateway(); GatewayFixture b = gateway()) {
            assertEquals(200, a.get("/api/dave", "Authorization", "Bearer " + token).statusCode());
            assertEquals(200, b.get("/api/dave", "Authorization", "Bearer " + token).statusCode());
            try (WsClient onA = WsClient.connect(a, "/tmi/ws?token=" + token); WsClient onB = WsClient.connect(b, "/tmi/ws?token=" + token)) {
                onA.expect("ready", 10);
                onB.expect("ready", 10);
                try (Connection c = db.connect()) {
                    assertEquals("1", Sql.scalar(c, "SELECT tmi.revoke_tokens('dave')"));
                }
                assertEquals(4001, onA.closeCode(10), "gateway A closes the revoked token's connection");
                assertEquals(4001, onB.closeCode(10), "gateway B closes the revoked token's connection");
            }
            // each gateway refused the token when it closed the connection: REST refuses it at once
            for (GatewayFixture gw : List.of(a, b)) {
                assertError(gw.get("/api/dave", "Authorization", "Bearer " + token), 401, "PGRST303");
                try (WsClient again = WsClient.connect(gw, "/tmi/ws?token=" + token)) {
                    assertEquals(4001, again.closeCode(10), "a revoked token cannot connect to any gateway");
                }
            }
        }
    }

    /**
     * A client application: its filter, the events it processed and its cursor (the last event
     * id, or a heartbeat's), kept across connections to whichever gateway.
     */
    private static final class Follower {
        private final String token;
        private final String filter;
        final List<JsonNode> events = new ArrayList<>();
        long cursor;
        WsClient client;

        Follower(String token, String filter, long since) {
            this.token = token;
            this.filter = filter;
            this.cursor = since;
        }

        /** Connects to {@code gw} and subscribes after the cursor. */
        void connect(GatewayFixture gw) throws InterruptedException {
            client = WsClient.connect(gw, "/tmi/ws?token=" + token);
            client.expect("ready", 10);
            assertEquals(cursor, client.subscribe("{\"type\": \"subscribe\", " + filter + ", \"since\": " + cursor + "}"));
        }

        private void take(JsonNode f) {
            switch (f.path("type").asText()) {
                case "event" -> {
                    events.add(f);
                    cursor = f.path("id").asLong();
                }
                case "heartbeat" -> cursor = Math.max(cursor, f.path("last_event_id").asLong());
                default -> throw new AssertionError("unexpected frame " + f);
            }
        }

        /** Processes frames until {@code n} more events arrived. */
        void awaitEvents(int n) throws InterruptedException {
            int wanted = events.size() + n;
            while (events.size() < wanted) {
                take(client.next(30));
            }
        }

        /** Processes the frames that arrived before the connection ended. */
        void drain() {
            for (JsonNode f = client.poll(); f != null; f = client.poll()) {
                take(f);
            }
        }

        /** Takes the events up to {@code last} and closes the connection. */
        void finish(long last) throws InterruptedException {
            events.addAll(client.eventsThrough(last));
            client.close();
        }
    }

    /** Readings written to the targets in turn from another thread, paced, until closed. */
    private static final class Load implements AutoCloseable {
        private final Thread thread;
        private final AtomicReference<Exception> failure = new AtomicReference<>();
        private volatile boolean stop;

        Load(String... targets) {
            thread = new Thread(() -> {
                try (Connection c = db.connect(); Statement st = c.createStatement()) {
                    for (int i = 0; !stop; i++) {
                        st.execute("SELECT tmi.observe('" + targets[i % targets.length] + "', now(), '{\"battery\": " + (i % 100)
                                + ", \"speed\": " + (i % 30) + "}')");
                        Thread.sleep(5);
                    }
                } catch (SQLException | RuntimeException e) {
                    failure.set(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "many-gateways-load");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
            if (failure.get() != null) {
                throw new AssertionError("writing the load failed", failure.get());
            }
        }
    }
}
