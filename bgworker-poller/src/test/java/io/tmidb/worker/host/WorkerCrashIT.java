// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.WorkerMain;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tmidb-worker process killed with SIGKILL in the middle of a large batch loses and duplicates nothing. */
@TmidbTest
class WorkerCrashIT {
    private static final int DOCS = 60;
    private static final int ITEMS = 1_000;

    @Test
    void killedMidBatchThenRestartedLosesAndDuplicatesNothing(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            MappingIT.rule(c, "meters", """
                    {"iterate": "$.readings[*]", "kind": "meter", "key": "$.id",
                     "timestamp": {"path": "$.t", "format": "epoch_ms"},
                     "fields": {"kwh": {"path": "$.kwh", "type": "number"}, "site": {"path": "$.site", "type": "text", "as": "attribute"}}}""");
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT tmi.ingest('meters', jsonb_build_object('readings',
                           (SELECT jsonb_agg(jsonb_build_object('id', 'M' || i, 't', 1795780800000 + ? * 60000,
                                                                'kwh', i * 0.5 + ?, 'site', 'S' || (i % 7)))
                              FROM generate_series(1, ?) i)))""")) {
                for (int d = 0; d < DOCS; d++) {
                    ps.setInt(1, d);
                    ps.setInt(2, d);
                    ps.setInt(3, ITEMS);
                    ps.execute();
                }
            }
        }
        Process worker = startWorker(db);
        try (Connection c = db.connect()) {
            // kill it once some batches committed and others are still pending
            waitFor(c, "SELECT count(*) FROM tmi.raw_bucket WHERE status = 'mapped'", n -> n >= 3, Duration.ofSeconds(90));
            worker.destroyForcibly().waitFor();
            long mapped = scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket WHERE status = 'mapped'");
            assertTrue(mapped < DOCS, "the worker finished before it was killed; the test needs a longer batch");
            // what committed is whole: mapped documents have all their observations, pending ones none
            assertEquals(mapped * ITEMS, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs o JOIN tmi.raw_bucket r USING (raw_id)"
                    + " WHERE r.status = 'pending'"));

            worker = startWorker(db);
            waitFor(c, "SELECT count(*) FROM tmi.raw_bucket WHERE status <> 'mapped'", n -> n == 0, Duration.ofSeconds(180));
            waitFor(c, "SELECT (SELECT count(*) FROM tmi.schema_pending) + (SELECT count(*) FROM tmi.alarm_pending)",
                    n -> n == 0, Duration.ofSeconds(60));
        } finally {
            worker.destroyForcibly().waitFor();
        }
        try (Connection c = db.connect()) {
            assertEquals((long) DOCS * ITEMS, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(0, scalarLong(c, "SELECT count(*) - count(DISTINCT (raw_id, raw_item)) FROM tmi.ts_obs"));
            assertEquals(ITEMS, scalarLong(c, "SELECT count(*) FROM tmi.target WHERE kind = 'meter'"));
            // every observation is in exactly one event, once
            assertEquals("true", scalar(c, """
                    SELECT ((SELECT array_agg(id ORDER BY id) FROM (SELECT (o->>'obs_id')::bigint AS id
                              FROM tmi.events_since(0, 1000000) e, jsonb_array_elements(e.payload->'obs') o
                             WHERE e.event_type = 'obs') x)
                         = (SELECT array_agg(obs_id ORDER BY obs_id) FROM tmi.ts_obs))::text"""));
            assertEquals(List.of("1 initial"), io.tmidb.testkit.Sql.column(c,
                    "SELECT version || ' ' || change FROM tmi.schema_history('meter')"));
        }
    }

    /** tmidb-worker as its own process, small batches so that a kill lands between commits. */
    private static Process startWorker(TestDatabase db) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
                "--db-url=" + db.cluster().jdbcUrl(db.name()), "--db-user=postgres", "--batch-size=4"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(Files.createTempFile("worker", ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("TMIDB_DB_PASSWORD", db.cluster().superuserPassword());
        return pb.start();
    }

    private static void waitFor(Connection c, String sql, java.util.function.LongPredicate done, Duration timeout)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(scalarLong(c, sql))) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + sql);
            Thread.sleep(20);
        }
    }
}
