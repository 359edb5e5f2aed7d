// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerSettings;
import io.tmidb.worker.host.StoredLogicHost;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Mapping throughput with 1, 2 and 3 workers against one database: the same documents wait in
 * raw_bucket, then that many workers (each running the stored logic's services, as tmidb-worker
 * does) map them, evaluate the alarms and write the events, until nothing is pending. Each count
 * runs on a fresh database of the same cluster, after a warm-up; the counts run in the order 1, 2,
 * 3, 3, 2, 1 and each figure is the mean of its two runs, the ratios are to one worker's.
 * Usage: ManyWorkersBench [documents=200] [items-per-document=500] [batch-size=5]
 */
public final class ManyWorkersBench {
    private static final String RULE = """
            SELECT tmi.add_mapping('meters', '{"iterate": "$.readings[*]", "kind": "meter", "key": "$.id",
              "timestamp": {"path": "$.t", "format": "epoch_ms"}, "lat": "$.lat", "lon": "$.lon",
              "fields": {"kwh": {"path": "$.kwh", "type": "number"}, "volts": {"path": "$.v", "type": "number", "scale": 0.1},
                         "site": {"path": "$.site", "type": "text", "as": "attribute"}}}')""";
    private static final String DOC = """
            SELECT jsonb_build_object('readings', (SELECT jsonb_agg(jsonb_build_object('id', 'M' || i,
                       't', 1795780800000 + (? * 60000)::bigint, 'kwh', i * 0.5 + ?, 'v', 2300 + i % 40, 'site', 'S' || (i % 7),
                       'lat', 37.5 + (i % 100) * 0.001, 'lon', 127.0 + (i / 100) * 0.001))
                     FROM generate_series(1, ?) i))""";

    private ManyWorkersBench() {
    }

    public static void main(String[] args) throws Exception {
        int docs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int items = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        long total = (long) docs * items;
        System.out.printf("many workers benchmark: %d documents x %d items = %d items with positions, batch-size %d, %d cores%n",
                docs, items, total, batch, Runtime.getRuntime().availableProcessors());
        // mirrored order, each count twice, so that a drift of the machine's other load over the run
        // weighs on every count alike; a warm-up first, so that the first count does not pay for the JIT
        int[] counts = {1, 2, 3, 3, 2, 1};
        double[] sums = new double[4];
        System.out.println("1-minute load average before: " + Machine.loadAverage());
        try (ScratchCluster cluster = ScratchCluster.start()) {
            measure(cluster.createDatabase("bench_workers_warmup", false), 1, Math.max(1, docs / 4), items, batch);
            for (int i = 0; i < counts.length; i++) {
                double rate = measure(cluster.createDatabase("bench_workers_" + i, false), counts[i], docs, items, batch);
                System.out.printf("run %d: %d worker(s) %10.0f items/s%n", i + 1, counts[i], rate);
                sums[counts[i]] += rate;
            }
        }
        System.out.println("1-minute load average after: " + Machine.loadAverage());
        System.out.printf("%-9s %12s %12s%n", "", "items/s", "vs 1 worker");
        for (int n = 1; n <= 3; n++) {
            System.out.printf("%d worker%s %12.0f %11.2fx%n", n, n == 1 ? " " : "s", sums[n] / 2, sums[n] / sums[1]);
        }
    }

    /** Items per second for {@code workers} workers mapping the documents queued beforehand. */
    private static double measure(TestDatabase db, int workers, int docs, int items, int batch) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(RULE);
            // evaluated on every reading, never raised: the alarm queue is part of the work
            st.execute("SELECT tmi.add_alarm('meter', 'kwh', '>', 1e12)");
            // queued while no worker runs, so that the workers find the whole load waiting
            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.ingest('meters', (" + DOC + "))")) {
                for (int d = 0; d < docs; d++) {
                    ps.setInt(1, d);
                    ps.setInt(2, d);
                    ps.setInt(3, items);
                    ps.execute();
                }
            }
            st.execute("VACUUM ANALYZE");
        }
        WorkerSettings settings = WorkerSettings.of(Map.of("batch-size", String.valueOf(batch), "sweep-interval", "PT0.05S"));
        List<Worker> running = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < workers; i++) {
                running.add(Worker.start(new WorkerContext(db::connect, settings), List.copyOf(StoredLogicHost.all())));
            }
            IngestBench.awaitIdle(db);
            double rate = docs * (long) items / ((System.nanoTime() - start) / 1e9);
            try (Connection c = db.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM tmi.ts_obs")) {
                rs.next();
                if (rs.getLong(1) != (long) docs * items) {
                    throw new IllegalStateException(rs.getLong(1) + " readings stored, not " + (long) docs * items);
                }
            }
            return rate;
        } finally {
            for (Worker w : running) {
                w.close();
            }
        }
    }
}
