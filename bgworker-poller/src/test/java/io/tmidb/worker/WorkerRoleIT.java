// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.cluster.Node;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.maintenance.PartitionMaintainer;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.assertState;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's login ({@value Node#WORKER}, a member of the extension's tmi_worker) can do the
 * worker's work and no more. The work itself is shown by every worker test, which runs as this
 * login (WorkerLogin): mapping, schema versions, alarms, connectors, the relay, partitions; here
 * what it is refused (a superuser's powers and an admin's decisions), and retention, whose
 * partitions it drops through the extension's owner.
 */
@TmidbTest
class WorkerRoleIT {

    @Test
    void theWorkersLoginIsRefusedWhatItsWorkDoesNotNeed(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("worker_role", false);
        try (Connection w = WorkerLogin.of(d).open(); Statement st = w.createStatement()) {
            assertEquals("tmidb_worker false", scalar(w, "SELECT current_user || ' ' || rolsuper FROM pg_roles WHERE rolname = current_user"));
            for (String refused : List.of(
                    "CREATE TABLE tmi.intruder (x int)",
                    "CREATE FUNCTION tmi.intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                    "CREATE SCHEMA intruder",
                    "SELECT rolpassword FROM pg_authid",
                    "ALTER SYSTEM SET work_mem = '1GB'",
                    "DROP EXTENSION tmidb",
                    "ALTER TABLE tmi.ts_obs ADD COLUMN intruder int",
                    "DROP TABLE tmi.event_log",
                    "CREATE ROLE intruder",
                    "SET ROLE postgres",
                    "COPY (SELECT 1) TO PROGRAM 'true'",
                    "SELECT pg_read_file('postgresql.conf')",
                    // an admin's decisions: who sees what, tokens and their key, retention, alarms, connectors, the host
                    "SET ROLE tmi_admin",
                    "SELECT * FROM tmi.listener",
                    "SELECT * FROM tmi.listener_subscription",
                    "SELECT * FROM tmi.token",
                    "SELECT * FROM tmi.server_secret",
                    "SELECT tmi.jwt_secret()",
                    "SELECT tmi.issue_token('tmi_admin', 'intruder', '1 hour')",
                    "SELECT tmi.revoke_tokens('tmi_admin', 'intruder')",
                    "SELECT tmi.add_listener('intruder')",
                    "SELECT tmi.subscribe('intruder', gen_random_uuid())",
                    "SELECT tmi.set_retention(NULL, '1 second')",
                    "DELETE FROM tmi.retention",
                    "INSERT INTO tmi.alarm_rule DEFAULT VALUES",
                    "SELECT tmi.add_connector('intruder', 'http://127.0.0.1:1/', '1 hour')",
                    "SELECT tmi.test_connector('intruder')",
                    "SELECT tmi.use_host('worker')",
                    "UPDATE tmi.config SET value = 'pljava'")) {
                assertState(w, "42501", refused);
            }
            // its work: the front door an admin has, and the functions that run as the extension's owner
            String meter = scalar(w, "SELECT tmi.add_target('Meter 1', 'meter', '{}', 'M1')");
            st.execute("SELECT tmi.observe('" + meter + "', now(), '{\"kwh\": 1}')");
            st.execute("SELECT tmi.maintain_partitions()");
            assertEquals("api_v7", scalar(w, "SELECT tmi.prepare_api_schema(7)"));
            ServerErrorMessage bad = assertFails(w, "22023", "SELECT tmi.prepare_api_schema(0)");
            assertEquals("invalid schema version 0", bad.getMessage());
            assertTrue(bad.getHint().contains("1 or more"), bad.getHint());
        }
        try (Connection c = d.connect()) {
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"), "the worker's reading is stored, nothing else");
            assertEquals("0", scalar(c, "SELECT count(*) FROM pg_class WHERE relname = 'intruder'"));
        }
    }

    @Test
    void retentionDropsWholePartitionsAsTheWorker(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("worker_retention", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            String meter = scalar(c, "SELECT tmi.add_target('Meter 1', 'meter', '{}', 'M1')");
            st.execute("SELECT tmi.observe('" + meter + "', '2019-03-05 10:00Z', '{\"kwh\": 1}')");
            st.execute("SELECT tmi.observe('" + meter + "', now(), '{\"kwh\": 2}')");
            st.execute("SELECT tmi.set_retention(NULL, '90 days')");
            WorkerContext context = new WorkerContext(WorkerLogin.of(d), WorkerSettings.of(Map.of("partition-interval", "PT1H")));
            try (Worker worker = Worker.start(context, List.of(new PartitionMaintainer()))) {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (scalarLong(c, "SELECT count(*) FROM tmi.retention_applied WHERE partitions_dropped > 0") == 0) {
                    assertTrue(System.nanoTime() < deadline, "no partition dropped within 30 s");
                    Thread.sleep(50);
                }
            }
            assertEquals("2", scalar(c, "SELECT string_agg(payload->>'kwh', ',') FROM tmi.ts_obs"));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM pg_class WHERE relname = 'ts_obs_p20190304'"));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default"));
        }
    }
}
