// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients resume after the gateway itself is restarted while events are being written: the
 * stopping gateway closes them with 1001, a new gateway process on the same port takes their
 * {@code since}, and each client ends up with exactly the ids of its filter, in order, once.
 */
@TmidbTest
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WebSocketRestartIT {

    @Test
    void clientsResumeAfterAGatewayRestartUnderLoadWithoutGapOrDuplicate(TestDatabase db) throws Exception {
        String b1;
        String b2;
        String carolToken;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            b1 = Sql.scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80}', 'B1')");
            b2 = Sql.scalar(c, "SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 60}', 'B2')");
            st.execute("SELECT tmi.add_listener('carol'), tmi.subscribe('carol', 'bike', ARRAY['battery'])");
            carolToken = Sql.scalar(c, "SELECT tmi.issue_token('carol', '5 minutes')");
        }
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Map<String, String> settings = Map.of("gateway-port", String.valueOf(port), "ws-heartbeat", "PT1S");
        GatewayFixture first = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, settings)), db);
        String all = "{\"type\": \"subscribe\"}";
        String onlyB1 = "{\"type\": \"subscribe\", \"targets\": [\"" + b1 + "\"]}";
        Subscribed speaker = subscribed(first, "/tmi/ws?token=" + first.speaker(), all);
        long since = speaker.since;
        Subscribed carol = subscribed(first, "/tmi/ws?token=" + carolToken, onlyB1);
        long carolSince = carol.since;

        Thread writer = new Thread(() -> {
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                for (int i = 0; i < 600; i++) {
                    st.execute("SELECT tmi.observe('" + (i % 3 == 0 ? b2 : b1) + "', now(), '{\"battery\": " + (i % 100) + "}')");
                    Thread.sleep(5);
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "restart-writer");
        writer.start();
        List<JsonNode> speakerSeen = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            speakerSeen.add(speaker.client.expect("event", 30));
        }
        first.close();
        assertEquals(1001, speaker.client.closeCode(10), "a stopping gateway closes its clients with 1001");
        assertEquals(1001, carol.client.closeCode(10));
        speakerSeen.addAll(drain(speaker.client));
        List<JsonNode> carolSeen = drain(carol.client);

        GatewayFixture second = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, settings)), db);
        try {
            long speakerCursor = cursor(speakerSeen, since);
            long carolCursor = cursor(carolSeen, carolSince);
            WsClient speakerAgain = WsClient.connect(second, "/tmi/ws?token=" + second.speaker());
            WsClient carolAgain = WsClient.connect(second, "/tmi/ws?token=" + carolToken);
            speakerAgain.expect("ready", 10);
            carolAgain.expect("ready", 10);
            speakerAgain.send("{\"type\": \"subscribe\", \"since\": " + speakerCursor + "}");
            carolAgain.send("{\"type\": \"subscribe\", \"targets\": [\"" + b1 + "\"], \"since\": " + carolCursor + "}");
            writer.join(120_000);
            long last = db.lastEventId();
            speakerSeen.addAll(speakerAgain.eventsThrough(last));
            carolSeen.addAll(carolAgain.eventsThrough(last));
            speakerAgain.close();
            carolAgain.close();

            assertEquals(db.eventIds("event_id > " + since + " AND event_id <= " + last), WsClient.ids(speakerSeen),
                    "the speaker has every event, in order, once, across the restart");
            List<Long> due = db.eventIds("target_id = '" + b1 + "' AND event_id > " + carolSince + " AND event_id <= " + last);
            assertTrue(due.size() > 300, "most of the load lies after the subscription: " + due.size());
            assertEquals(due, WsClient.ids(carolSeen), "the listener has exactly its filter's events, in order, once, across the restart");
            assertTrue(carolSeen.stream().allMatch(e -> e.path("payload").path("obs").get(0).path("payload").has("battery")));
        } finally {
            second.close();
        }
    }

    /** A client and the cursor its subscription started after. */
    private record Subscribed(WsClient client, long since) {
    }

    private static Subscribed subscribed(GatewayFixture gw, String path, String subscribe) throws InterruptedException {
        WsClient client = WsClient.connect(gw, path);
        client.expect("ready", 10);
        return new Subscribed(client, client.subscribe(subscribe));
    }

    /** The event frames received before the connection closed. */
    private static List<JsonNode> drain(WsClient client) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode f = client.poll(); f != null; f = client.poll()) {
            if (f.path("type").asText().equals("event")) {
                out.add(f);
            }
        }
        return out;
    }

    /** Where a client resumes: the last event it processed, or where it started. */
    private static long cursor(List<JsonNode> events, long since) {
        return events.isEmpty() ? since : events.get(events.size() - 1).path("id").asLong();
    }
}
