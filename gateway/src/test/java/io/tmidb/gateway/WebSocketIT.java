// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The WebSocket event streams against a real gateway and database, with the JDK's WebSocket client. */
@TmidbTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WebSocketIT {
    // room for a busy machine: a fast reader may lag a few hundred frames; the slow one (36 MB unread) still overflows
    private static final int QUEUE = 1000;
    private static GatewayFixture gw;
    private static TestDatabase db;
    private static String b1;
    private static String c1;
    private static String aliceToken;
    private static String bobToken;

    @BeforeAll
    static void start(TestDatabase database) throws SQLException {
        db = database;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            b1 = Sql.scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\"}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\"}', 'B2')");
            c1 = Sql.scalar(c, "SELECT tmi.add_target('Car 1', 'car', '{\"fuel\": 50, \"model\": \"van\"}', 'C1')");
            st.execute("SELECT tmi.add_listener('alice'), tmi.add_listener('bob')");
            st.execute("SELECT tmi.subscribe('alice', 'bike', ARRAY['battery'])");
            st.execute("SELECT tmi.subscribe('bob', '" + c1 + "'::uuid)");
            aliceToken = Sql.scalar(c, "SELECT tmi.issue_token('alice', '5 minutes')");
            bobToken = Sql.scalar(c, "SELECT tmi.issue_token('bob', '5 minutes')");
        }
        Gateway gateway = Gateway.start(GatewayFixture.settings(db, Map.of("ws-queue", String.valueOf(QUEUE), "ws-heartbeat", "PT1S")));
        gw = GatewayFixture.attach(gateway, db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    /** A client that authenticated with an auth message and subscribed with {@code subscribe}; returns it after "subscribed". */
    private static WsClient subscribed(String path, String token, String subscribe) throws InterruptedException {
        WsClient client = WsClient.connect(gw, path);
        client.send("{\"type\": \"auth\", \"token\": \"" + token + "\"}");
        client.expect("ready", 10);
        client.send(subscribe);
        client.expect("subscribed", 10);
        return client;
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private static void assertContiguous(long from, long to, List<Long> ids) {
        assertEquals(to - from + 1, ids.size(), () -> "expected ids " + from + ".." + to + ", got " + ids.size() + " ids");
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(from + i, ids.get(i), "event ids must be contiguous, without gap or duplicate");
        }
    }

    @Test
    void eachListenerGetsItsTargetsAndFieldsOnly() throws Exception {
        String speakerToken = gw.speaker();
        try (WsClient alice = subscribed("/tmi/ws", aliceToken, "{\"type\": \"subscribe\", \"fields\": [\"battery\", \"model\"]}");
             WsClient bob = subscribed("/tmi/ws/bob", bobToken, "{\"type\": \"subscribe\"}");
             WsClient speaker = subscribed("/tmi/ws", speakerToken,
                     "{\"type\": \"subscribe\", \"kinds\": [\"car\"], \"events\": [\"obs\", \"alarm.*\"]}")) {
            sql("SELECT tmi.observe('" + b1 + "', now(), '{\"battery\": 70, \"speed_kmh\": 5}')");
            sql("SELECT tmi.observe('" + c1 + "', now(), '{\"fuel\": 40, \"speed_kmh\": 50}')");
            sql("UPDATE tmi.target SET meta = meta || '{\"battery\": 10}' WHERE ext_key = 'B2'");
            sql("SELECT tmi.observe(tmi.add_target('Car 2', 'car', '{\"fuel\": 5}', 'C2'), now(), '{\"fuel\": 4}')");
            long last = db.lastEventId();

            List<JsonNode> a = alice.eventsThrough(last);
            assertEquals(List.of("obs", "target.updated"), a.stream().map(e -> e.path("event_type").asText()).toList(), a::toString);
            assertEquals("{\"battery\":70}", a.get(0).path("payload").path("obs").get(0).path("payload").toString());
            assertEquals(b1, a.get(0).path("target_id").asText());
            assertEquals("{\"battery\":10}", a.get(1).path("payload").path("meta").toString(), "a client's fields cannot widen its listener's");

            List<JsonNode> b = bob.eventsThrough(last);
            assertEquals(1, b.size(), b::toString);
            assertEquals(c1, b.get(0).path("target_id").asText());
            assertEquals("{\"fuel\":40,\"speed_kmh\":50}", b.get(0).path("payload").path("obs").get(0).path("payload").toString());

            List<JsonNode> s = speaker.eventsThrough(last);
            assertEquals(List.of("obs", "obs"), s.stream().map(e -> e.path("event_type").asText()).toList(), s::toString);
            assertEquals(List.of("car", "car"), s.stream().map(e -> e.path("kind").asText()).toList());
        }
    }

    @Test
    void theListenerStreamIsForThatListenerOrASpeaker() throws Exception {
        try (WsClient own = WsClient.connect(gw, "/tmi/ws/alice", "Authorization", "Bearer " + aliceToken)) {
            JsonNode ready = own.expect("ready", 10);
            assertEquals("alice", ready.path("listener").asText());
        }
        try (WsClient other = WsClient.connect(gw, "/tmi/ws/alice", "Authorization", "Bearer " + bobToken)) {
            assertEquals(4003, other.closeCode(10));
        }
        try (WsClient unknown = WsClient.connect(gw, "/tmi/ws/nobody?token=" + gw.speaker())) {
            assertEquals(4004, unknown.closeCode(10));
        }
        try (WsClient speaker = subscribed("/tmi/ws/alice", gw.speaker(), "{\"type\": \"subscribe\"}")) {
            sql("SELECT tmi.observe('" + c1 + "', now(), '{\"fuel\": 39}')");
            sql("SELECT tmi.observe('" + b1 + "', now(), '{\"battery\": 69, \"speed_kmh\": 3}')");
            List<JsonNode> events = speaker.eventsThrough(db.lastEventId());
            assertEquals(1, events.size(), events::toString);
            assertEquals("{\"battery\":69}", events.get(0).path("payload").path("obs").get(0).path("payload").toString());
        }
    }

    @Test
    void refusedTokensCloseWithTheDocumentedCodes() throws Exception {
        String expired = gw.token("tmi_listener", "alice", Duration.ofSeconds(-60));
        String foreign = JWT.create().withClaim("role", "tmi_speaker").sign(Algorithm.HMAC256("another key of at least thirty-two characters"));
        for (String token : List.of("not-a-jwt", expired, foreign)) {
            try (WsClient client = WsClient.connect(gw, "/tmi/ws")) {
                client.send("{\"type\": \"auth\", \"token\": \"" + token + "\"}");
                assertEquals(4001, client.closeCode(10), token);
            }
        }
        try (WsClient client = WsClient.connect(gw, "/tmi/ws", "Authorization", "Bearer " + expired)) {
            assertEquals(4001, client.closeCode(10));
        }
        try (WsClient anon = WsClient.connect(gw, "/tmi/ws?token=" + gw.token("tmi_anon", null, Duration.ofMinutes(1)))) {
            assertEquals(4003, anon.closeCode(10));
        }
        try (WsClient shortLived = WsClient.connect(gw, "/tmi/ws?token=" + gw.token("tmi_listener", "alice", Duration.ofSeconds(2)))) {
            shortLived.expect("ready", 10);
            assertEquals(4001, shortLived.closeCode(15), "an open connection ends when its token expires");
        }
        try (WsClient early = WsClient.connect(gw, "/tmi/ws")) {
            early.send("{\"type\": \"subscribe\"}");
            assertEquals(4001, early.closeCode(10));
        }
        try (WsClient client = WsClient.connect(gw, "/tmi/ws?token=" + gw.speaker())) {
            client.expect("ready", 10);
            client.send("{\"type\": \"subscribe\", \"since\": \"yesterday\"}");
            assertEquals("bad-subscribe", client.expect("error", 10).path("code").asText());
            client.send("not json");
            assertEquals("bad-message", client.expect("error", 10).path("code").asText());
        }
    }

    @Test
    void sinceBeyondTheLastEventAndBinaryFramesGetErrorFrames() throws Exception {
        long last = db.lastEventId();
        try (WsClient client = WsClient.connect(gw, "/tmi/ws?token=" + gw.speaker())) {
            client.expect("ready", 10);
            client.sendBinary(new byte[] {'{', '}'});
            assertEquals("bad-message", client.expect("error", 10).path("code").asText());
            client.send("{\"type\": \"subscribe\", \"since\": " + (last + 1000) + "}");
            JsonNode refused = client.expect("error", 10);
            assertEquals("bad-subscribe", refused.path("code").asText());
            assertTrue(refused.path("message").asText().contains("beyond the last event"), refused::toString);
            client.send("{\"type\": \"subscribe\", \"since\": " + last + "}");
            assertEquals(last, client.expect("subscribed", 10).path("since").asLong(), "a refused since leaves the session ready");
            client.sendBinary(new byte[] {1, 2, 3});
            assertEquals("bad-message", client.expect("error", 10).path("code").asText());
            assertFalse(client.isClosed());
        }
    }

    @Test
    void heartbeatsCarryTheCursor() throws Exception {
        try (WsClient client = subscribed("/tmi/ws/bob", bobToken, "{\"type\": \"subscribe\", \"since\": 0}")) {
            long last = db.lastEventId();
            List<JsonNode> replayed = client.eventsThrough(last);
            assertTrue(replayed.stream().allMatch(e -> e.path("target_id").asText().equals(c1)), replayed::toString);
            JsonNode beat = client.expect("heartbeat", 10);
            assertEquals(last, beat.path("last_event_id").asLong(), "a heartbeat names the last event considered, even one filtered out");
        }
        // live, a session is offered only the events its filter may match: its heartbeats pass the others too
        try (WsClient client = subscribed("/tmi/ws", gw.speaker(), "{\"type\": \"subscribe\", \"targets\": [\"" + c1 + "\"]}")) {
            sql("SELECT tmi.observe('" + b1 + "', now(), '{\"battery\": 55}')");
            long last = db.lastEventId();
            long cursor = 0;
            // the first heartbeats may come before the gateway read the event; expect() fails on an event frame
            for (int i = 0; i < 10 && cursor < last; i++) {
                cursor = client.expect("heartbeat", 10).path("last_event_id").asLong();
            }
            assertEquals(last, cursor, "a live heartbeat names the last event published, though none matched");
        }
    }

    @Test
    void resumeAfterAForcedDisconnectHasNoGapAndNoDuplicate() throws Exception {
        WsClient first = subscribed("/tmi/ws", gw.speaker(), "{\"type\": \"subscribe\"}");
        long since;
        Thread writer = new Thread(() -> {
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                // paced, so that the reading client stays well within its queue (slow consumers are tested below)
                for (int i = 0; i < 400; i++) {
                    st.execute("SELECT tmi.observe('" + b1 + "', now(), '{\"battery\": " + (i % 100) + "}')");
                    Thread.sleep(2);
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        List<JsonNode> seen = new ArrayList<>();
        try (Connection c = db.connect()) {
            since = db.lastEventId();
        }
        writer.start();
        for (int i = 0; i < 100; i++) {
            seen.add(first.expect("event", 30));
        }
        first.abort();
        long cursor = seen.get(seen.size() - 1).path("id").asLong();
        writer.join(60_000);
        long last = db.lastEventId();
        try (WsClient second = subscribed("/tmi/ws", gw.speaker(), "{\"type\": \"subscribe\", \"since\": " + cursor + "}")) {
            seen.addAll(second.eventsThrough(last));
        }
        assertTrue(seen.get(0).path("id").asLong() > since - 1);
        assertContiguous(seen.get(0).path("id").asLong(), last, WsClient.ids(seen));
    }

    @Test
    void aSlowConsumerIsClosedWhileTheOthersKeepUp() throws Exception {
        long last;
        try (WsClient fast = subscribed("/tmi/ws", gw.speaker(), "{\"type\": \"subscribe\", \"events\": [\"obs\"]}");
             WsClient slow = subscribed("/tmi/ws", gw.speaker(), "{\"type\": \"subscribe\", \"events\": [\"obs\"]}")) {
            long since = db.lastEventId();
            slow.pause();
            List<JsonNode> fastEvents = new ArrayList<>();
            last = since;
            // bursts smaller than the queue, 36 MB in all: more than the sockets between the gateway and the slow client hold
            for (int burst = 0; burst < 30; burst++) {
                sql("DO $$ BEGIN FOR i IN 1..100 LOOP PERFORM tmi.observe('" + b1 + "', now() + i * interval '1 ms',"
                        + " jsonb_build_object('n', i, 'pad', repeat('x', 12000))); END LOOP; END $$");
                last = db.lastEventId();
                fastEvents.addAll(fast.eventsThrough(last));
            }
            assertContiguous(since + 1, last, WsClient.ids(fastEvents));

            slow.resume();
            List<JsonNode> before = new ArrayList<>();
            // the client delivers the close after every frame before it, so closed and empty means done
            for (int i = 0; i < 10_000; i++) {
                JsonNode f = slow.poll();
                if (f == null && slow.isClosed()) {
                    break;
                }
                if (f == null) {
                    Thread.sleep(10);
                } else if (f.path("type").asText().equals("event")) {
                    before.add(f);
                }
            }
            assertEquals(4008, slow.closeCode(30), "a client that does not read is closed as a slow consumer");
            long cursor = before.isEmpty() ? since : before.get(before.size() - 1).path("id").asLong();
            assertTrue(cursor < last, "the slow client was closed before it had everything");
            try (WsClient again = subscribed("/tmi/ws", gw.speaker(), "{\"type\": \"subscribe\", \"since\": " + cursor + "}")) {
                before.addAll(again.eventsThrough(last));
            }
            assertContiguous(since + 1, last, WsClient.ids(before));
        }
    }
}
