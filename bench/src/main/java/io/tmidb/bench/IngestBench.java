// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerSettings;
import io.tmidb.worker.host.StoredLogicHost;
import org.postgresql.PGConnection;

import java.io.StringReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * Ingest through the whole pipeline (raw documents mapped into targets, ts_obs and geo_trace,
 * alarms evaluated, events written) against two baselines measured in the same run: a bare COPY
 * of the same rows into an unindexed table, and a COPY of them into ts_obs.
 * Usage: IngestBench [documents=200] [items-per-document=500] [positions=true]
 */
public final class IngestBench {
    /** Whether the rule maps positions (geo_trace and its GiST index) too. */
    private static boolean positions;

    private IngestBench() {
    }

    public static void main(String[] args) throws Exception {
        int docs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int items = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        positions = args.length <= 2 || Boolean.parseBoolean(args[2]);
        long total = (long) docs * items;
        System.out.printf("ingest benchmark: %d documents x %d items = %d items%s, %d cores%n", docs, items, total,
                positions ? " with positions" : " without positions", Runtime.getRuntime().availableProcessors());
        try (ScratchCluster cluster = ScratchCluster.start()) {
            TestDatabase db = cluster.createDatabase("bench_worker", false);
            prepare(db);
            double worker = pipelineOnWorker(db, docs, items);
            double copyBare = copyBare(db, docs, items);
            double copyObs = copyIntoTsObs(db, docs, items);
            Double pljava = null;
            if (cluster.cluster().installation().hasExtension("pljava")) {
                TestDatabase pj = cluster.createDatabase("bench_pljava", false);
                prepare(pj);
                pljava = pipelineOnPlJava(pj, docs, items);
            }
            System.out.printf("%-34s %12s %10s %10s%n", "", "items/s", "vs COPY", "vs COPY ts_obs");
            row("COPY into an unindexed table", copyBare, copyBare, copyObs);
            row("COPY into tmi.ts_obs", copyObs, copyBare, copyObs);
            row("pipeline, worker host", worker, copyBare, copyObs);
            if (pljava != null) {
                row("pipeline, PL/Java host", pljava, copyBare, copyObs);
            } else {
                System.out.println("pipeline, PL/Java host: not measured (the pljava extension is not installed)");
            }
        }
    }

    private static void row(String what, double rate, double bare, double obs) {
        System.out.printf("%-34s %12.0f %9.1f%% %9.1f%%%n", what, rate, 100 * rate / bare, 100 * rate / obs);
    }

    /** A rule with an attribute, two observation fields and a position; an alarm that is evaluated (and never fires). */
    private static void prepare(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("""
                    SELECT tmi.add_mapping('meters', '{"iterate": "$.readings[*]", "kind": "meter", "key": "$.id",
                      "timestamp": {"path": "$.t", "format": "epoch_ms"}, %s
                      "fields": {"kwh": {"path": "$.kwh", "type": "number"}, "volts": {"path": "$.v", "type": "number", "scale": 0.1},
                                 "site": {"path": "$.site", "type": "text", "as": "attribute"}}}')""".formatted(
                    positions ? "\"lat\": \"$.lat\", \"lon\": \"$.lon\"," : ""));
            st.execute("SELECT tmi.add_alarm('meter', 'kwh', '>', 1e12)");
        }
    }

    private static final String DOC = """
            SELECT jsonb_build_object('readings', (SELECT jsonb_agg(jsonb_build_object('id', 'M' || i,
                       't', 1795780800000 + (? * 60000)::bigint, 'kwh', i * 0.5 + ?, 'v', 2300 + i % 40, 'site', 'S' || (i % 7),
                       'lat', 37.5 + (i % 100) * 0.001, 'lon', 127.0 + (i / 100) * 0.001))
                     FROM generate_series(1, ?) i))::text""";

    private static double pipelineOnWorker(TestDatabase db, int docs, int items) throws Exception {
        List<String> documents = documents(db, docs, items, 0);
        try (Worker worker = Worker.start(new WorkerContext(db::connect, WorkerSettings.of(Map.of("batch-size", "20",
                "sweep-interval", "PT0.05S"))), List.copyOf(StoredLogicHost.all()))) {
            long start = System.nanoTime();
            ingest(db, documents);
            awaitIdle(db);
            return rate(docs * (long) items, start);
        }
    }

    private static double pipelineOnPlJava(TestDatabase db, int docs, int items) throws Exception {
        Path jar = Path.of(io.tmidb.stored.mapping.Pipeline.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        db.installStoredLogicJar(jar);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pljava");
            st.execute("SELECT tmi.use_host('pljava')");
        }
        List<String> documents = documents(db, docs, items, 0);
        long start = System.nanoTime();
        ingest(db, documents);
        awaitIdle(db);
        return rate(docs * (long) items, start);
    }

    /** The same rows as plain text COPY input. */
    private static String copyRows(int docs, int items, int minuteOffset) {
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < docs; d++) {
            for (int i = 1; i <= items; i++) {
                long t = 1795780800000L + (long) (d + minuteOffset) * 60000;
                String payload = "{\"kwh\": " + (i * 0.5 + d) + ", \"volts\": " + ((2300 + i % 40) / 10.0) + "}";
                sb.append("M").append(i).append('\t')
                        .append(java.time.Instant.ofEpochMilli(t)).append('\t').append(payload).append('\t')
                        .append(37.5 + (i % 100) * 0.001).append('\t').append(127.0 + (i / 100) * 0.001).append('\n');
            }
        }
        return sb.toString();
    }

    private static double copyBare(TestDatabase db, int docs, int items) throws Exception {
        String rows = copyRows(docs, items, 0);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE bench_copy (k text, ts timestamptz, payload jsonb, lat float8, lon float8)");
            long start = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY bench_copy FROM STDIN", new StringReader(rows));
            return rate(docs * (long) items, start);
        }
    }

    /** COPY into ts_obs (its triggers included) for the targets the pipeline made, at later times. */
    private static double copyIntoTsObs(TestDatabase db, int docs, int items) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            StringBuilder sb = new StringBuilder();
            Map<String, String> ids = new java.util.HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT ext_key, target_id FROM tmi.target WHERE kind = 'meter'")) {
                while (rs.next()) {
                    ids.put(rs.getString(1), rs.getString(2));
                }
            }
            for (String line : copyRows(docs, items, docs + 10).split("\n")) {
                String[] f = line.split("\t");
                sb.append(ids.get(f[0])).append('\t').append(f[1]).append('\t').append(f[2]).append('\n');
            }
            long start = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY tmi.ts_obs (target_id, ts, payload) FROM STDIN",
                    new StringReader(sb.toString()));
            return rate(docs * (long) items, start);
        }
    }

    private static List<String> documents(TestDatabase db, int docs, int items, int offset) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(DOC)) {
            for (int d = 0; d < docs; d++) {
                ps.setInt(1, d + offset);
                ps.setInt(2, d);
                ps.setInt(3, items);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static void ingest(TestDatabase db, List<String> documents) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT tmi.ingest('meters', CAST(? AS jsonb))")) {
            for (String doc : documents) {
                ps.setString(1, doc);
                ps.execute();
            }
        }
    }

    /** Waits until the worker has mapped every document and applied what they queued (schema changes, alarms). */
    static void awaitIdle(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            while (true) {
                // EXISTS stops at the first row: counting a queue 100,000 rows deep every 10 ms took
                // about 5 % of the machine from the work measured
                try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT FROM tmi.raw_bucket WHERE status = 'pending')"
                        + " OR EXISTS (SELECT FROM tmi.schema_pending) OR EXISTS (SELECT FROM tmi.alarm_pending)")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
    }

    private static double rate(long n, long startNanos) {
        return n / ((System.nanoTime() - startNanos) / 1e9);
    }
}
