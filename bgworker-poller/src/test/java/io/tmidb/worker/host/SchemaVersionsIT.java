// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every change of a kind's attribute set is a version with its own typed API views, on both hosts. */
@TmidbTest
class SchemaVersionsIT {

    @ParameterizedTest
    @EnumSource(Host.class)
    void versionsAreInitialAdditiveAndBreakingWithViewsPerVersion(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("versions_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            String pump = scalar(c, "SELECT tmi.add_target('Pump 1', 'pump', '{}', 'P1')");
            st.execute("SELECT tmi.observe('" + pump + "', '2026-11-27 10:00Z', '{\"temp\": 61.5, \"running\": true}')");
            running.awaitIdle();
            st.execute("SELECT tmi.add_target('Pump 1', 'pump', '{\"vendor\": \"acme\"}', 'P1')");
            st.execute("SELECT tmi.observe('" + pump + "', '2026-11-27 10:01Z', '{\"temp\": 62, \"rpm\": 1450}')");
            running.awaitIdle();
            st.execute("SELECT tmi.observe('" + pump + "', '2026-11-27 10:02Z', '{\"temp\": \"overheated\", \"rpm\": 1500}')");
            running.awaitIdle();

            assertEquals(List.of(
                    "1 initial {\"added\": [{\"name\": \"running\", \"type\": \"boolean\", \"scope\": \"observation\"}, "
                            + "{\"name\": \"temp\", \"type\": \"number\", \"scope\": \"observation\"}], \"changed\": []}",
                    "2 additive {\"added\": [{\"name\": \"vendor\", \"type\": \"string\", \"scope\": \"attribute\"}], \"changed\": []}",
                    "3 additive {\"added\": [{\"name\": \"rpm\", \"type\": \"number\", \"scope\": \"observation\"}], \"changed\": []}",
                    "4 breaking {\"added\": [], \"changed\": [{\"to\": \"mixed\", \"from\": \"number\", \"name\": \"temp\", "
                            + "\"scope\": \"observation\"}]}"),
                    Sql.column(c, "SELECT version || ' ' || change || ' ' || diff FROM tmi.schema_history('pump')"));
            assertEquals("{\"attribute\": {\"vendor\": \"string\"}, \"observation\": {\"rpm\": \"number\", \"temp\": \"mixed\","
                    + " \"running\": \"boolean\"}}", scalar(c, "SELECT attrs::text FROM tmi.model_versions WHERE kind = 'pump' AND version = 4"));

            // a client of version 1 keeps its columns and types; newer versions add theirs
            // (one version per writing statement: the worker host batches work, yet versions match PL/Java's)
            assertEquals(List.of("61.5 true", "62 ", " "), Sql.column(c,
                    "SELECT coalesce(temp::text, '') || ' ' || coalesce(running::text, '') FROM api_v1.pump_obs ORDER BY ts"));
            assertEquals(List.of("obs_id bigint", "target_id uuid", "ext_key text", "ts timestamp with time zone",
                    "lat double precision", "lon double precision", "running boolean",
                    "temp double precision"), columns(c, "api_v1", "pump_obs"));
            assertEquals(List.of("obs_id bigint", "target_id uuid", "ext_key text", "ts timestamp with time zone",
                    "lat double precision", "lon double precision", "rpm double precision",
                    "running boolean", "temp jsonb"), columns(c, "api_v4", "pump_obs"));
            assertEquals("acme", scalar(c, "SELECT vendor FROM api_v2.pump WHERE ext_key = 'P1'"));
            assertEquals(List.of("\"overheated\""), Sql.column(c, "SELECT temp::text FROM api_v4.pump_obs WHERE ts = '2026-11-27 10:02Z'"));
            // each version is an event
            assertEquals(4, scalarLong(c, "SELECT count(*) FROM tmi.events_since(0, 1000) WHERE event_type = 'schema.version'"));
            assertFails(c, "42704", "SELECT * FROM tmi.schema_history('no_such_kind')");
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void aFieldMixedByAMistakeIsRetypedOnceItsValuesFit(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("retype_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            String s1 = scalar(c, "SELECT tmi.add_target('Sensor 1', 'air', '{}', 'A1')");
            st.execute("SELECT tmi.observe('" + s1 + "', '2026-11-27 10:00Z', '{\"pm10\": 31}')");
            running.awaitIdle();
            // a rule mistake stored text: the field becomes mixed and api views serve jsonb
            st.execute("SELECT tmi.observe('" + s1 + "', '2026-11-27 10:01Z', '{\"pm10\": \"33 ug/m3\"}')");
            running.awaitIdle();
            assertEquals("mixed", scalar(c, "SELECT jtype FROM tmi.kind_attr WHERE kind = 'air' AND attr = 'pm10'"));
            var refused = assertFails(c, "22023", "SELECT tmi.retype('air', 'pm10', 'number')");
            assertEquals("For example: \"33 ug/m3\"", refused.getDetail());
            assertFails(c, "42704", "SELECT tmi.retype('air', 'pm25', 'number')");
            assertFails(c, "22023", "SELECT tmi.retype('air', 'pm10', 'float')");

            // the reading corrected, the field is retyped in a new version
            st.execute("SELECT tmi.observe('" + s1 + "', '2026-11-27 10:01Z', '{\"pm10\": 33}')");
            st.execute("SELECT tmi.retype('air', 'pm10', 'number')");
            running.awaitIdle();
            assertEquals(List.of("1 initial", "2 breaking", "3 breaking {\"added\": [], \"changed\": [{\"to\": \"number\","
                    + " \"from\": \"mixed\", \"name\": \"pm10\", \"scope\": \"observation\"}]}"), Sql.column(c,
                    "SELECT version || ' ' || change || CASE WHEN version = 3 THEN ' ' || diff::text ELSE '' END FROM tmi.schema_history('air')"));
            assertEquals(List.of("obs_id bigint", "target_id uuid", "ext_key text", "ts timestamp with time zone",
                    "lat double precision", "lon double precision", "pm10 double precision"),
                    columns(c, "api_v3", "air_obs"));
            assertEquals(List.of("31", "33"), Sql.column(c, "SELECT pm10 FROM api_v3.air_obs ORDER BY ts"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void concurrentWritersOfTheSameNewFieldMakeOneVersion(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("concurrent_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            String v1 = scalar(c, "SELECT tmi.add_target('Valve 1', 'valve', '{}', 'V1')");
            String v2 = scalar(c, "SELECT tmi.add_target('Valve 2', 'valve', '{}', 'V2')");
            st.execute("SELECT tmi.observe('" + v1 + "', now(), '{\"open\": true}')");
            running.awaitIdle();
            try (Connection a = d.connect(); Connection b = d.connect(); Statement sa = a.createStatement();
                 Statement sb = b.createStatement()) {
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                sa.execute("SELECT tmi.observe('" + v1 + "', now(), '{\"open\": true, \"pressure\": 3.2}')");
                // b may wait for a (same new field): run it on another thread, then commit both
                CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
                    try {
                        sb.execute("SELECT tmi.observe('" + v2 + "', now(), '{\"open\": false, \"pressure\": 2.9}')");
                    } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(300);
                a.commit();
                other.get(30, TimeUnit.SECONDS);
                b.commit();
            }
            running.awaitIdle();
            assertEquals(List.of("1 initial", "2 additive"),
                    Sql.column(c, "SELECT version || ' ' || change FROM tmi.schema_history('valve')"));
            assertEquals(2, scalarLong(c, "SELECT count(pressure) FROM api_v2.valve_obs"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void versionViewsShowListenersTheirFieldsAndTakeSpeakersWrites(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("views_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            String pump = scalar(c, "SELECT tmi.add_target('Pump 1', 'pump', '{\"vendor\": \"acme\", \"serial\": \"S-1\"}', 'P1')");
            st.execute("SELECT tmi.observe('" + pump + "', now(), '{\"temp\": 61.5, \"rpm\": 1450}')");
            running.awaitIdle();
            st.execute("SELECT tmi.add_listener('ops')");
            st.execute("SELECT tmi.subscribe('ops', 'pump'::text, ARRAY['vendor', 'temp'])");
            c.setAutoCommit(false);
            st.execute("SET LOCAL ROLE tmi_listener");
            st.execute("SELECT set_config('request.jwt.claims', '{\"role\": \"tmi_listener\", \"listener\": \"ops\"}', true)");
            assertEquals(List.of("acme -"), Sql.column(c, "SELECT vendor || ' ' || coalesce(serial, '-') FROM api_v2.pump"));
            assertEquals(List.of("61.5 -"), Sql.column(c, "SELECT temp || ' ' || coalesce(rpm::text, '-') FROM api_v2.pump_obs"));
            Sql.assertState(c, "42501", "SELECT meta FROM tmi.target");
            c.rollback();
            st.execute("SET LOCAL ROLE tmi_speaker");
            st.execute("INSERT INTO api_v2.pump (name, ext_key, vendor, serial) VALUES ('Pump 2', 'P2', 'bolt', 'S-2')");
            c.commit();
            c.setAutoCommit(true);
            assertEquals("pump {\"serial\": \"S-2\", \"vendor\": \"bolt\"}",
                    scalar(c, "SELECT kind || ' ' || meta FROM tmi.target WHERE ext_key = 'P2'"));
        }
    }

    private static List<String> columns(Connection c, String schema, String view) throws java.sql.SQLException {
        return Sql.column(c, "SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_schema = '"
                + schema + "' AND table_name = '" + view + "' ORDER BY ordinal_position");
    }
}
