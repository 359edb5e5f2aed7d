// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every function the extension grants to tmi_speaker, tmi_listener or tmi_anon works when called
 * by that role (observed: tmi.ingest as a speaker failed on a table behind it). The list of calls
 * below must name every such function: a new grant without a call here fails the test.
 */
@TmidbTest
class RoleGrantsIT {
    /** The functions granted to the roles (trigger functions aside), as psql names them, with a call each. */
    private static final Map<String, String> CALLS = new TreeMap<>(Map.ofEntries(
            Map.entry("tmi.add_target(text,text,jsonb,text)", "SELECT tmi.add_target('Bike 7', 'bike', '{\"seats\": 1}', 'B7')"),
            Map.entry("tmi.target_id(text,text)", "SELECT tmi.target_id('bike', 'B1')"),
            Map.entry("tmi.observe(uuid,timestamp with time zone,jsonb,double precision,double precision)",
                    "SELECT tmi.observe(tmi.target_id('bike', 'B1'), now(), '{\"battery\": 70}', 37.5, 127.0)"),
            Map.entry("tmi.near(double precision,double precision,double precision,text,timestamp with time zone)",
                    "SELECT count(*) FROM tmi.near(37.5, 127.0, 1000)"),
            Map.entry("tmi.ingest(text,jsonb)", "SELECT tmi.ingest('city-bikes', '{\"station\": 1}')"),
            Map.entry("tmi.ll_to_earth(double precision,double precision)", "SELECT tmi.ll_to_earth(37.5, 127.0)"),
            Map.entry("tmi.require(anyelement,text,text)", "SELECT tmi.require(1, 'x', 'hint')"),
            Map.entry("tmi.require_object(jsonb,text)", "SELECT tmi.require_object('{}', 'x')"),
            Map.entry("tmi.max_payload_bytes()", "SELECT tmi.max_payload_bytes()"),
            Map.entry("tmi.storage_mode()", "SELECT tmi.storage_mode()"),
            Map.entry("tmi.status()", "SELECT count(*) FROM tmi.status()"),
            Map.entry("tmi.relay_status()", "SELECT count(*) FROM tmi.relay_status()"),
            Map.entry("tmi.host()", "SELECT tmi.host()"),
            Map.entry("tmi.schema_history(text)", "SELECT count(*) FROM tmi.schema_history('bike')"),
            Map.entry("tmi.mask_connector_options(jsonb)", "SELECT tmi.mask_connector_options('{\"headers\": {\"a\": \"b\"}}')"),
            Map.entry("tmi.current_listener()", "SELECT tmi.current_listener()"),
            Map.entry("tmi.caller_is_speaker()", "SELECT tmi.caller_is_speaker()"),
            Map.entry("tmi.listener_sees(uuid)", "SELECT tmi.listener_sees('%bike%')"),
            Map.entry("tmi.only_fields(jsonb,text[])", "SELECT tmi.only_fields('{\"a\": 1, \"b\": 2}', ARRAY['a'])"),
            Map.entry("tmi.visible_meta(uuid)", "SELECT tmi.visible_meta('%bike%')"),
            Map.entry("tmi.visible_payload(uuid,timestamp with time zone,bigint)",
                    "SELECT tmi.visible_payload('%bike%', '2026-11-20 10:00Z', %obs%)"),
            Map.entry("tmi.listener_targets(text)", "SELECT count(*) FROM tmi.listener_targets('alice')"),
            Map.entry("tmi.listener_obs(text,text,timestamp with time zone,integer)",
                    "SELECT count(*) FROM tmi.listener_obs('alice', 'bike')"),
            Map.entry("tmi.merge_reading(jsonb,bigint,jsonb,bigint)", "SELECT tmi.merge_reading('{\"a\": 1}', 1, '{\"a\": 2}', 2)"),
            Map.entry("tmi.caller_scope()", "SELECT tmi.caller_scope()"),
            Map.entry("tmi.series(uuid,text,interval,timestamp with time zone,timestamp with time zone)",
                    "SELECT count(*) FROM tmi.series('%bike%', 'battery', '1 hour')"),
            Map.entry("tmi.scope_sees(jsonb,text,uuid)", "SELECT tmi.scope_sees(tmi.caller_scope(), 'bike', '%bike%')"),
            Map.entry("tmi.begin_upload(uuid,text,text,bigint,text,text,interval)",
                    "SELECT tmi.begin_upload('%bike%', 'a.txt', 'text/plain', 1, repeat('a', 64), 'files', '1 hour')"),
            // two statements: the lookup (stable) sees what the statement before it wrote
            Map.entry("tmi.pending_upload(uuid)", "SELECT set_config('test.upload', (tmi.begin_upload('%bike%', 'a.txt', 'text/plain', 1,"
                    + " repeat('a', 64), 'files', '1 hour')).upload_id::text, true);"
                    + " SELECT tmi.pending_upload(current_setting('test.upload')::uuid)"),
            Map.entry("tmi.cancel_upload(uuid)", "SELECT tmi.cancel_upload((tmi.begin_upload('%bike%', 'a.txt', 'text/plain', 1,"
                    + " repeat('a', 64), 'files', '1 hour')).upload_id)"),
            Map.entry("tmi.complete_upload(uuid,bigint,text)", "SELECT tmi.complete_upload(u.upload_id, 1, repeat('a', 64))"
                    + " FROM tmi.begin_upload('%bike%', 'a.txt', 'text/plain', 1, repeat('a', 64), 'files', '1 hour') u"),
            Map.entry("tmi.attach_file(uuid,text,text,bigint,text,text,text,jsonb)",
                    "SELECT tmi.attach_file('%bike%', 'a.txt', 'text/plain', 1, repeat('a', 64), 'files', 'a-key')"),
            Map.entry("tmi.detach_file(bigint)", "SELECT tmi.detach_file((tmi.attach_file('%bike%', 'a.txt', 'text/plain', 1,"
                    + " repeat('a', 64), 'files', 'a-key')).file_id)"),
            Map.entry("tmi.alarms(uuid,boolean)", "SELECT count(*) FROM tmi.alarms('%bike%', true)"),
            Map.entry("tmi.scope_fields(jsonb,text,uuid)", "SELECT tmi.scope_fields(tmi.caller_scope(), 'bike', '%bike%')"),
            Map.entry("tmi.scope_only(jsonb,text,uuid,jsonb)",
                    "SELECT tmi.scope_only(tmi.caller_scope(), 'bike', '%bike%', '{\"battery\": 1, \"model\": \"x\"}')")));

    /** Functions that answer a target or field the caller may not see as unknown (42704), whoever calls. */
    private static final Set<String> HIDES_WITH_42704 =
            Set.of("tmi.series(uuid,text,interval,timestamp with time zone,timestamp with time zone)");

    @Test
    void everyGrantedFunctionWorksForItsRoles(TestDatabase db) throws SQLException {
        TestDatabase d = db.sibling("grants", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            String bike = scalar(c, "SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80}', 'B1')");
            String obs = scalar(c, "SELECT tmi.observe('" + bike + "', '2026-11-20 10:00Z', '{\"battery\": 79}')");
            st.execute("SELECT tmi.add_connector('city-bikes', 'https://example.org/gbfs.json', every => '5 minutes')");
            st.execute("SELECT tmi.add_listener('alice'), tmi.subscribe('alice', 'bike', ARRAY['battery'])");
            // the version the stored logic would have made of the bike's attributes
            st.execute("INSERT INTO tmi.model_versions (kind, version, attrs, change) VALUES ('bike', 1, '{}', 'initial')");
            List<String> granted = Sql.column(c, """
                    SELECT DISTINCT p.oid::regprocedure::text || ' ' || r.rolname
                      FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a JOIN pg_roles r ON r.oid = a.grantee
                     WHERE p.pronamespace = 'tmi'::regnamespace AND a.privilege_type = 'EXECUTE'
                       AND r.rolname IN ('tmi_speaker', 'tmi_listener', 'tmi_anon')
                       AND p.prorettype <> 'trigger'::regtype
                     ORDER BY 1""");
            List<String> failures = new ArrayList<>();
            for (String grant : granted) {
                String function = grant.substring(0, grant.lastIndexOf(' '));
                String role = grant.substring(grant.lastIndexOf(' ') + 1);
                String call = CALLS.get(function);
                if (call == null) {
                    failures.add(function + ": granted to " + role + " but no call in RoleGrantsIT");
                    continue;
                }
                c.setAutoCommit(false);
                try {
                    st.execute("SET LOCAL ROLE " + role);
                    st.execute("SELECT set_config('request.jwt.claims', '{\"listener\": \"alice\"}', true)");
                    st.execute(call.replace("%bike%", bike).replace("%obs%", obs));
                } catch (SQLException e) {
                    if (!(HIDES_WITH_42704.contains(function) && "42704".equals(e.getSQLState()))) {
                        failures.add(function + " as " + role + ": " + e.getSQLState() + " " + e.getMessage());
                    }
                } finally {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            }
            assertEquals(List.of(), failures);
            assertEquals("0", scalar(c, "SELECT count(*) FROM tmi.raw_bucket"), "every call was rolled back");
        }
    }
}
