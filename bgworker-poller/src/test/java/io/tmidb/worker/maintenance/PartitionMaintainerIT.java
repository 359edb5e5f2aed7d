// SPDX-License-Identifier: MIT
package io.tmidb.worker.maintenance;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerLogin;
import io.tmidb.worker.WorkerSettings;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static io.tmidb.testkit.Sql.column;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Readings outside the weekly partitions do not pile up in the default partition: tmi.status()
 * says what to do, and the worker moves them into partitions of their own as they arrive, long
 * before its hourly round.
 */
@TmidbTest
class PartitionMaintainerIT {

    @Test
    void oldReadingsGetAPartitionAsTheyArrive(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("default_partition", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('Meter 1', 'meter', '{}', 'M1')");
            st.execute("SELECT tmi.observe('" + id + "', '2019-03-05 10:00Z', '{\"kwh\": 1}')");
            assertEquals("attention ts_obs has 6 native partitions; 1 rows in the default partition: SELECT"
                    + " tmi.maintain_partitions() moves them into partitions of their own (tmidb-worker does so as they arrive)",
                    scalar(c, "SELECT state || ' ' || detail FROM tmi.status() WHERE subsystem = 'storage'"));

            WorkerContext context = new WorkerContext(WorkerLogin.of(d), WorkerSettings.of(Map.of("partition-interval", "PT1H")));
            try (Worker worker = Worker.start(context, List.of(new PartitionMaintainer()))) {
                awaitDefaultEmpty(c); // the worker's first round
                st.execute("SELECT tmi.observe('" + id + "', '2019-06-05 10:00Z', '{\"kwh\": 2}')");
                awaitDefaultEmpty(c); // woken by the reading, not the hour
            }
            assertEquals(List.of("ts_obs_p20190304", "ts_obs_p20190603"), column(c,
                    "SELECT relname FROM pg_class WHERE relname LIKE 'ts\\_obs\\_p2019%' AND relkind = 'r' ORDER BY 1"));
            assertEquals(2, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs WHERE ts < '2020-01-01'"));
            assertEquals("ok", scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'storage'"));
        }
    }

    private static void awaitDefaultEmpty(Connection c) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (scalarLong(c, "SELECT count(*) FROM tmi.ts_obs_default") > 0) {
            assertTrue(System.nanoTime() < deadline, "the default partition still holds readings after 10 s");
            Thread.sleep(20);
        }
    }
}
