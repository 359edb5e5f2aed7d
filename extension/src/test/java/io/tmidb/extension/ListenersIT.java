// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.List;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener access model: subscriptions, tokens, row-level security and field restriction. */
@TmidbTest
class ListenersIT {
    private static String bike1;
    private static String scooter;

    @BeforeAll
    static void data(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            bike1 = scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\"}', 'B1')");
            scalar(c, "SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\"}', 'B2')");
            scooter = scalar(c, "SELECT tmi.add_target('Scooter 1', 'scooter', '{\"battery\": 50}', 'S1')");
            st.execute("SELECT tmi.observe('" + bike1 + "', '2026-11-27 10:00Z', '{\"battery\": 79, \"speed_kmh\": 12}')");
            st.execute("SELECT tmi.observe('" + scooter + "', '2026-11-27 10:00Z', '{\"battery\": 49}')");
            st.execute("SELECT tmi.add_listener('alice'), tmi.add_listener('bob')");
            st.execute("SELECT tmi.subscribe('alice', 'bike', ARRAY['battery'])");
            st.execute("SELECT tmi.subscribe('bob', '" + scooter + "'::uuid)");
        }
    }

    /** Runs a query as the role with the listener's claims, as the gateway does; first column of each row. */
    private static List<String> as(Connection c, String role, String listener, String sql) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL ROLE " + role);
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('request.jwt.claims', ?, true)")) {
                ps.setString(1, listener == null ? "{\"role\":\"" + role + "\"}"
                        : "{\"role\":\"" + role + "\",\"listener\":\"" + listener + "\"}");
                ps.execute();
            }
            return Sql.column(c, sql);
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }

    @Test
    void listenersSeeOnlySubscribedTargetsAndFields(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(List.of("Bike 1 80 ", "Bike 2 20 "), as(c, "tmi_listener", "alice",
                    "SELECT name || ' ' || coalesce(battery::text, '') || ' ' || coalesce(model, '') FROM api_v1.bike ORDER BY name"));
            assertEquals(List.of("Bike 1", "Bike 2"), as(c, "tmi_listener", "alice", "SELECT name FROM tmi.target ORDER BY name"));
            assertEquals(List.of("{\"battery\": 79}"), as(c, "tmi_listener", "alice",
                    "SELECT tmi.visible_payload(target_id, ts, obs_id)::text FROM tmi.ts_obs"));
            assertEquals(List.of("Scooter 1"), as(c, "tmi_listener", "bob", "SELECT name FROM tmi.target"));
            assertEquals(List.of(), as(c, "tmi_listener", "bob", "SELECT name FROM api_v2.bike"));
            assertEquals(List.of(), as(c, "tmi_listener", null, "SELECT name FROM tmi.target"));
            // speakers see every row and field
            assertEquals(List.of("Bike 1 city", "Bike 2 cargo"), as(c, "tmi_speaker", null,
                    "SELECT name || ' ' || model FROM api_v2.bike ORDER BY name"));
            // what a listener may not read, the database refuses or hides
            assertEquals("{\"battery\": 80}", as(c, "tmi_listener", "alice",
                    "SELECT tmi.visible_meta('" + bike1 + "')::text").get(0));
            assertEquals(java.util.Collections.singletonList(null), as(c, "tmi_listener", "alice",
                    "SELECT tmi.visible_meta('" + scooter + "')::text"));
        }
    }

    @Test
    void listenersCannotReadRawAttributesOrWrite(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            for (String sql : List.of("SELECT meta FROM tmi.target", "SELECT payload FROM tmi.ts_obs",
                    "UPDATE tmi.target SET name = 'x'", "SELECT * FROM tmi.listener_subscription")) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCAL ROLE tmi_listener");
                    Sql.assertState(c, "42501", sql);
                } finally {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL ROLE tmi_anon");
                Sql.assertState(c, "42501", "SELECT name FROM api_v1.bike");
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
    }

    @Test
    void perListenerFunctionsCheckTheCaller(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(List.of("Bike 1 {\"battery\": 80}", "Bike 2 {\"battery\": 20}"), as(c, "tmi_listener", "alice",
                    "SELECT name || ' ' || meta::text FROM tmi.listener_targets('alice')"));
            assertEquals(List.of("{\"battery\": 79}"), as(c, "tmi_listener", "alice",
                    "SELECT payload::text FROM tmi.listener_obs('alice', 'bike', '2026-11-27')"));
            assertEquals(List.of(), as(c, "tmi_listener", "alice",
                    "SELECT payload::text FROM tmi.listener_obs('alice', 'bike', '2026-11-28')"));
            // an admin may look through any listener's eyes
            assertEquals(List.of("Scooter 1 {\"battery\": 50}"), as(c, "tmi_admin", null,
                    "SELECT name || ' ' || meta::text FROM tmi.listener_targets('bob')"));
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL ROLE tmi_listener");
                st.execute("SELECT set_config('request.jwt.claims', '{\"listener\":\"bob\"}', true)");
                assertFails(c, "42501", "SELECT * FROM tmi.listener_targets('alice')");
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
            assertFails(c, "42704", "SELECT * FROM tmi.listener_targets('nobody')");
            assertFails(c, "22023", "SELECT * FROM tmi.listener_obs('alice', 'bike', now(), 0)");
        }
    }

    @Test
    void subscribeValidatesAndReplaces(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            assertFails(c, "22004", "SELECT tmi.add_listener(NULL)");
            assertFails(c, "22023", "SELECT tmi.add_listener('no spaces')");
            assertFails(c, "23505", "SELECT tmi.add_listener('alice')");
            assertFails(c, "42704", "SELECT tmi.subscribe('nobody', 'bike')");
            assertFails(c, "42704", "SELECT tmi.subscribe('alice', '00000000-0000-0000-0000-000000000000'::uuid)");
            assertFails(c, "22023", "SELECT tmi.subscribe('alice', 'Not A Kind')");
            assertFails(c, "22023", "SELECT tmi.subscribe('alice', 'bike', ARRAY[]::text[])");
            assertFails(c, "22023", "SELECT tmi.subscribe('alice', 'bike', ARRAY['battery', NULL])");
            st.execute("SELECT tmi.add_listener('carol')");
            String first = scalar(c, "SELECT tmi.subscribe('carol', 'bike', ARRAY['model'])");
            assertEquals(first, scalar(c, "SELECT tmi.subscribe('carol', 'bike', ARRAY['battery', 'model'])"));
            assertEquals("{battery,model}", scalar(c, "SELECT fields::text FROM tmi.listener_subscription WHERE subscription_id = " + first));
            assertEquals("t", scalar(c, "SELECT tmi.unsubscribe('carol', 'bike')"));
            assertEquals("f", scalar(c, "SELECT tmi.unsubscribe('carol', 'bike')"));
            assertEquals("f", scalar(c, "SELECT tmi.unsubscribe('carol', '" + bike1 + "'::uuid)"));
            assertFails(c, "42704", "SELECT tmi.unsubscribe('nobody', 'bike')");
        }
    }

    @Test
    void issuedTokensAreSignedWithTheServerSecret(TestDatabase db) throws SQLException, GeneralSecurityException {
        try (Connection c = db.connect()) {
            String token = scalar(c, "SELECT tmi.issue_token('alice', '10 minutes')");
            String[] parts = token.split("\\.");
            assertEquals(3, parts.length, token);
            byte[] secret;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
                rs.next();
                secret = rs.getBytes(1);
            }
            assertEquals(32, secret.length);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            assertArrayEquals(expected, Base64.getUrlDecoder().decode(parts[2]));
            String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
            assertTrue(claims.contains("\"role\": \"tmi_listener\"") && claims.contains("\"listener\": \"alice\""), claims);
            long exp = Long.parseLong(claims.replaceAll(".*\"exp\": (\\d+).*", "$1"));
            long now = System.currentTimeMillis() / 1000;
            assertTrue(exp > now + 500 && exp <= now + 660, claims);
            assertFails(c, "42704", "SELECT tmi.issue_token('nobody')");
            assertFails(c, "22023", "SELECT tmi.issue_token('alice', '-1 minute')");
        }
    }

    @Test
    void tokensAreRecordedRevocableAndBoundToTheListenerId(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_listener('erin')");
            String lid = scalar(c, "SELECT listener_id::text FROM tmi.listener WHERE name = 'erin'");
            String token = scalar(c, "SELECT tmi.issue_token('erin', '10 minutes')");
            String claims = new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
            assertTrue(claims.contains("\"listener_id\": " + lid) && claims.contains("\"sub\": \"erin\""), claims);
            String jti = claims.replaceAll(".*\"jti\": \"([0-9a-f-]+)\".*", "$1");
            assertEquals("tmi_listener erin " + lid, scalar(c, "SELECT role || ' ' || subject || ' ' || listener_id FROM tmi.token"
                    + " WHERE token_id = '" + jti + "'"));
            String device = scalar(c, "SELECT tmi.issue_token('tmi_speaker', 'device-7', '1 day')");
            String deviceClaims = new String(Base64.getUrlDecoder().decode(device.split("\\.")[1]), StandardCharsets.UTF_8);
            assertTrue(deviceClaims.contains("\"role\": \"tmi_speaker\"") && !deviceClaims.contains("listener"), deviceClaims);
            assertEquals("1", scalar(c, "SELECT tmi.revoke_tokens('tmi_speaker', 'device-7')"));
            assertEquals("0", scalar(c, "SELECT tmi.revoke_tokens('tmi_speaker', 'device-7')"));
            assertEquals("1", scalar(c, "SELECT tmi.revoke_tokens('erin')"));
            st.execute("SELECT tmi.issue_token('erin')");
            assertEquals(lid, scalar(c, "SELECT tmi.drop_listener('erin')::text"));
            assertEquals("0", scalar(c, "SELECT count(*) FROM tmi.token WHERE subject = 'erin'"));
            st.execute("SELECT tmi.add_listener('erin')");
            assertEquals("0", scalar(c, "SELECT count(*) FROM tmi.token WHERE subject = 'erin'"), "no token is inherited");
            st.execute("SELECT tmi.drop_listener('erin')");
            assertFails(c, "42704", "SELECT tmi.drop_listener('erin')");
            assertFails(c, "42704", "SELECT tmi.revoke_tokens('erin')");
            assertFails(c, "22023", "SELECT tmi.issue_token('tmi_anon', 'x', '1 hour')");
            assertFails(c, "22023", "SELECT tmi.issue_token('postgres', 'x', '1 hour')");
            assertFails(c, "42704", "SELECT tmi.issue_token('tmi_listener', 'nobody', '1 hour')");
            assertFails(c, "22023", "SELECT tmi.issue_token('tmi_speaker', 'device-7', '0 seconds')");
        }
    }
}
