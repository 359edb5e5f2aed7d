// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The generated api_vN views work out what a caller may read once per statement
 * (tmi.caller_scope); they must show every caller exactly what the per-row functions
 * tmi.visible_meta / tmi.visible_payload and row-level security show it, on the same data.
 */
@TmidbTest
class VisibilityIT {
    /** Who reads: a role, and the listener its claims name (or none). */
    private record Caller(String role, String listener) {
    }

    private static final List<Caller> CALLERS = List.of(new Caller("tmi_speaker", null), new Caller("tmi_admin", null),
            new Caller("tmi_listener", "alice"), new Caller("tmi_listener", "bob"), new Caller("tmi_listener", "carol"),
            new Caller("tmi_listener", "dave"), new Caller("tmi_listener", "nobody"));

    @ParameterizedTest
    @EnumSource(Host.class)
    void theViewsShowEachCallerWhatThePerRowFunctionsShow(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("visibility_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute("""
                    SELECT tmi.add_target(n, k, jsonb_build_object('battery', b, 'model', m), key)
                      FROM (VALUES ('Bike 1', 'bike', 80, 'city', 'B1'), ('Bike 2', 'bike', 20, 'cargo', 'B2'),
                                   ('Scooter 1', 'scooter', 50, 'kick', 'S1')) v (n, k, b, m, key)""");
            st.execute("""
                    INSERT INTO tmi.ts_obs (target_id, ts, payload)
                    SELECT t.target_id, timestamptz '2026-11-20 10:00Z' + i * interval '1 minute',
                           jsonb_build_object('battery', 90 - i, 'speed_kmh', i * 1.5 + 0.25, 'secret', 'code-' || i)
                      FROM tmi.target t, generate_series(1, 5) i""");
            st.execute("SELECT tmi.add_listener(n) FROM unnest(ARRAY['alice', 'bob', 'carol', 'dave']) n");
            st.execute("SELECT tmi.subscribe('alice', 'bike', ARRAY['battery'])");
            st.execute("SELECT tmi.subscribe('bob', 'bike', ARRAY['speed_kmh'])");
            st.execute("SELECT tmi.subscribe('bob', tmi.target_id('bike', 'B2'), ARRAY['secret'])");
            st.execute("SELECT tmi.subscribe('bob', tmi.target_id('scooter', 'S1'))");
            st.execute("SELECT tmi.subscribe('carol', 'scooter', ARRAY['model'])");
            running.awaitIdle();
            for (String kind : List.of("bike", "scooter")) {
                String version = "api_v" + scalar(c, "SELECT max(version) FROM tmi.schema_history('" + kind + "')");
                for (Caller who : CALLERS) {
                    String as = who + " on " + kind;
                    assertEquals(as(c, who, """
                            SELECT o.obs_id || ' ' || tmi.visible_payload(o.target_id, o.ts, o.obs_id)::text
                              FROM tmi.ts_obs o JOIN tmi.target t USING (target_id) WHERE t.kind = '%s'
                             ORDER BY o.obs_id""".formatted(kind)),
                            as(c, who, """
                            SELECT v.obs_id || ' ' || jsonb_strip_nulls(to_jsonb(v) - ARRAY['obs_id', 'target_id', 'ext_key',
                                   'ts', 'lat', 'lon'])::text FROM %s.%s_obs v ORDER BY v.obs_id""".formatted(version, kind)),
                            "observations " + as);
                    assertEquals(as(c, who, """
                            SELECT t.ext_key || ' ' || tmi.visible_meta(t.target_id)::text FROM tmi.target t
                             WHERE t.kind = '%s' ORDER BY t.ext_key""".formatted(kind)),
                            as(c, who, """
                            SELECT v.ext_key || ' ' || jsonb_strip_nulls(to_jsonb(v) - ARRAY['target_id', 'name', 'ext_key',
                                   'created_at', 'updated_at'])::text FROM %s.%s v ORDER BY v.ext_key""".formatted(version, kind)),
                            "targets " + as);
                }
            }
            // anonymous callers may not read the tables at all, and see nothing through the views
            for (String kind : List.of("bike", "scooter")) {
                String version = "api_v" + scalar(c, "SELECT max(version) FROM tmi.schema_history('" + kind + "')");
                Caller anon = new Caller("tmi_anon", null);
                c.createStatement().execute("GRANT SELECT ON " + version + "." + kind + ", " + version + "." + kind + "_obs TO tmi_anon");
                assertEquals(List.of(), as(c, anon, "SELECT obs_id::text FROM " + version + "." + kind + "_obs"));
                assertEquals(List.of(), as(c, anon, "SELECT ext_key FROM " + version + "." + kind));
            }
            // and the comparison compares something: bob sees speed everywhere, the secret of B2 only
            List<String> bob = as(c, new Caller("tmi_listener", "bob"), "SELECT t.ext_key || ' ' || v.payload FROM"
                    + " tmi.ts_obs o JOIN tmi.target t USING (target_id), LATERAL (SELECT tmi.visible_payload(o.target_id,"
                    + " o.ts, o.obs_id)::text AS payload) v WHERE o.ts = '2026-11-20 10:01Z' ORDER BY 1");
            assertEquals(List.of("B1 {\"speed_kmh\": 1.75}", "B2 {\"secret\": \"code-1\", \"speed_kmh\": 1.75}",
                    "S1 {\"secret\": \"code-1\", \"battery\": 89, \"speed_kmh\": 1.75}"), bob);
            assertFalse(as(c, new Caller("tmi_listener", "carol"), "SELECT obs_id FROM " + "api_v"
                    + scalar(c, "SELECT max(version) FROM tmi.schema_history('scooter')") + ".scooter_obs").isEmpty());
        }
    }

    /** The first column of the query's rows, run as the caller would run it through the gateway. */
    private static List<String> as(Connection c, Caller who, String sql) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL ROLE " + who.role());
            st.execute("SELECT set_config('request.jwt.claims', '" + (who.listener() == null ? "{}"
                    : "{\"listener\": \"" + who.listener() + "\"}") + "', true)");
            return Sql.column(c, sql);
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
    }
}
