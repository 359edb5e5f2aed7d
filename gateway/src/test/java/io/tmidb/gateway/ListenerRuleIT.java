// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a listener sees is defined once, in SQL: REST (the generated api_vN views) and the
 * WebSocket stream follow the same rule, also when it changes in the database (a subscription, the
 * rule's function itself) and when a target changes kind (its current kind decides, for both).
 */
@TmidbTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListenerRuleIT {
    private static GatewayFixture gw;
    private static TestDatabase db;
    private static String b1;
    private static String c1;

    @BeforeAll
    static void start(TestDatabase database) throws SQLException {
        db = database;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            b1 = Sql.scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"model\": \"city\"}', 'B1')");
            c1 = Sql.scalar(c, "SELECT tmi.add_target('Car 1', 'car', '{\"model\": \"van\"}', 'C1')");
            st.execute("SELECT tmi.observe('" + b1 + "', '2026-11-20 10:00Z', '{\"battery\": 80, \"speed\": 5}')");
            st.execute("SELECT tmi.observe('" + c1 + "', '2026-11-20 10:00Z', '{\"fuel\": 50, \"speed\": 9}')");
        }
        // the views of both kinds, as the worker makes them; scopes are reloaded often, so that a
        // rule function redefined in the database (which notifies nobody) reaches the stream soon
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            io.tmidb.stored.schema.SchemaVersions.apply(c, Sql.column(c, "SELECT pending_id FROM tmi.schema_pending").stream()
                    .mapToLong(Long::parseLong).toArray());
            c.commit();
        }
        gw = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, Map.of("ws-heartbeat", "PT0.2S",
                "ws-scope-refresh", "PT0.2S"))), db);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void aSubscriptionChangedInSqlChangesRestAndTheStreamAlike() throws Exception {
        String token = listener("erin", "SELECT tmi.subscribe('erin', 'bike', ARRAY['battery'])");
        try (WsClient ws = subscribed(token, db.lastEventId())) {
            long first = observe(b1, "{\"battery\": 70, \"speed\": 6}");
            assertEquals("{\"battery\":70}", readings(eventsThrough(ws, first), b1).get(0));
            assertEquals("[{\"battery\":70,\"speed\":null}]", rest(token, "/bike_obs?select=battery,speed&battery=eq.70"));

            sql("SELECT tmi.subscribe('erin', 'bike', ARRAY['battery', 'speed'])");
            long second = observe(b1, "{\"battery\": 60, \"speed\": 7}");
            assertEquals(List.of("{\"speed\":7,\"battery\":60}"), readings(eventsThrough(ws, second), b1));
            assertEquals("[{\"battery\":60,\"speed\":7}]", rest(token, "/bike_obs?select=battery,speed&battery=eq.60"));

            sql("SELECT tmi.unsubscribe('erin', 'bike')");
            long third = observe(b1, "{\"battery\": 50, \"speed\": 8}");
            assertEquals(List.of(), readings(eventsThrough(ws, third), b1), "unsubscribed: nothing on the stream");
            assertEquals("[]", rest(token, "/bike_obs?select=battery,speed"));
        }
    }

    @Test
    void theRuleFunctionRedefinedInSqlIsFollowedByRestAndTheStream() throws Exception {
        String token = listener("frank", "SELECT tmi.subscribe('frank', 'bike')");
        String original;
        try (Connection c = db.connect()) {
            original = Sql.scalar(c, "SELECT pg_get_functiondef('tmi.listener_scope(text)'::regprocedure)");
        }
        try (WsClient ws = subscribed(token, db.lastEventId())) {
            // from now on every listener may read cars, with their fuel only, and nothing else
            sql("""
                    CREATE OR REPLACE FUNCTION tmi.listener_scope(listener_name text) RETURNS jsonb
                    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
                    BEGIN ATOMIC SELECT '{"kinds": {"car": ["fuel"]}, "targets": {}}'::jsonb; END""");
            Thread.sleep(1000); // a few ws-scope-refresh periods
            long bike = observe(b1, "{\"battery\": 40, \"speed\": 1}");
            long car = observe(c1, "{\"fuel\": 30, \"speed\": 2}");
            assertTrue(car > bike);
            List<JsonNode> events = eventsThrough(ws, car);
            assertEquals(List.of(), readings(events, b1));
            assertEquals(List.of("{\"fuel\":30}"), readings(events, c1));
            assertEquals("[]", rest(token, "/bike_obs?select=battery"));
            assertEquals("[{\"fuel\":30,\"speed\":null}]", rest(token, "/car_obs?select=fuel,speed&fuel=eq.30"));
        } finally {
            sql(original);
        }
        assertEquals("[{\"battery\":40}]", rest(token, "/bike_obs?select=battery&battery=eq.40"), "the rule is back");
    }

    @Test
    void aTargetThatChangesKindIsSeenAlikeByRestAndTheStream() throws Exception {
        String bikes = listener("grace", "SELECT tmi.subscribe('grace', 'bike')");
        String cars = listener("heidi", "SELECT tmi.subscribe('heidi', 'car')");
        long before = db.lastEventId();
        String moved;
        try (Connection c = db.connect()) {
            moved = Sql.scalar(c, "SELECT tmi.add_target('Moved 1', 'bike', '{\"model\": \"odd\"}', 'M1')");
        }
        observe(moved, "{\"battery\": 11}");
        sql("UPDATE tmi.target SET kind = 'car' WHERE target_id = '" + moved + "'");
        long last = observe(moved, "{\"fuel\": 12}");
        // both read the events again from before the target was written: its current kind decides
        try (WsClient g = subscribed(bikes, before); WsClient h = subscribed(cars, before)) {
            List<JsonNode> toGrace = ofTarget(eventsThrough(g, last), moved);
            List<JsonNode> toHeidi = ofTarget(eventsThrough(h, last), moved);
            assertEquals(List.of(), toGrace, "no longer a bike: none of its events, old ones included");
            assertEquals(List.of("target.created", "obs", "target.updated", "obs"),
                    toHeidi.stream().map(e -> e.path("event_type").asText()).toList());
        }
        assertEquals("[]", rest(bikes, "/bike_obs?select=obs_id&target_id=eq." + moved));
        assertEquals("[]", rest(bikes, "/bike?select=name&target_id=eq." + moved));
        assertEquals(2, Json.parse(rest(cars, "/car_obs?select=obs_id&target_id=eq." + moved)).size());
        assertEquals("[{\"name\":\"Moved 1\"}]", rest(cars, "/car?select=name&target_id=eq." + moved));
    }

    /** Creates a listener, runs its subscriptions, and returns a token for it. */
    private static String listener(String name, String subscribe) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_listener('" + name + "')");
            st.execute(subscribe);
            return Sql.scalar(c, "SELECT tmi.issue_token('" + name + "', '5 minutes')");
        }
    }

    private static String rest(String token, String path) {
        HttpResponse<String> r = gw.get(path, "Authorization", "Bearer " + token);
        assertEquals(200, r.statusCode(), r::body);
        return r.body();
    }

    private static WsClient subscribed(String token, long since) throws InterruptedException {
        WsClient client = WsClient.connect(gw, "/tmi/ws", "Authorization", "Bearer " + token);
        client.expect("ready", 10);
        client.send("{\"type\": \"subscribe\", \"since\": " + since + "}");
        client.expect("subscribed", 10);
        return client;
    }

    /** Writes a reading an hour after the last one of the target; returns the id of its event. */
    private static long observe(String target, String payload) throws SQLException, InterruptedException {
        sql("SELECT tmi.observe('" + target + "', (SELECT coalesce(max(ts), '2026-11-20 10:00Z') + interval '1 hour'"
                + " FROM tmi.ts_obs WHERE target_id = '" + target + "'), '" + payload + "')");
        return db.lastEventId();
    }

    /** Every event frame up to the id {@code last}, known once a heartbeat passes it, within 60 s. */
    private static List<JsonNode> eventsThrough(WsClient client, long last) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            JsonNode f = client.next(60);
            if (f.path("type").asText().equals("event")) {
                out.add(f);
            } else if (f.path("type").asText().equals("heartbeat") && f.path("last_event_id").asLong() >= last) {
                return out;
            }
        }
        throw new AssertionError("events up to " + last + " did not arrive in 60 s; got " + out.size());
    }

    private static List<JsonNode> ofTarget(List<JsonNode> events, String target) {
        return events.stream().filter(e -> e.path("target_id").asText().equals(target)).toList();
    }

    /** The readings of the target's observation events, as JSON text. */
    private static List<String> readings(List<JsonNode> events, String target) {
        return ofTarget(events, target).stream().filter(e -> e.path("event_type").asText().equals("obs"))
                .map(e -> e.path("payload").path("obs").get(0).path("payload").toString()).toList();
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }
}
