// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.gateway.GatewayMain;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/run WebSocketBench many [subscribers] [seconds] [listeners]}: many subscribers on
 * one gateway (default 10,000, 15 s measured, 10 listeners). 100 targets, all written: four
 * {@link LoadWriter} connections commit 1,000 observation events/s, each writer turning over 25
 * targets. Each listener is subscribed to the kind; client i uses listener i mod listeners and
 * subscribes to {@code obs} events of target i mod 100, so each event matches 1 % of the clients.
 * The gateway runs in a JVM of its own ({@code GatewayMain}), the clients in a third
 * ({@link WebSocketSwarm}: one selector thread), so that neither's heap or collections count for
 * the other. Printed: the baseline (as {@link WebSocketBench}'s, over the same 100 targets), the
 * gateway's heap per idle subscribed connection (used heap after a full collection, {@code jcmd
 * GC.run} then {@code GC.heap_info}, before and after the clients connect), the latency of every
 * frame and its ratio to the baseline, then a restart of the gateway under load (SIGTERM, a new
 * process on the same port; the clients reconnect and resume from their cursors) and the check of
 * every client's ids against the events of its target: none missing, duplicated or out of order.
 */
final class WebSocketMany {
    private static final int TARGETS = 100;
    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private WebSocketMany() {
    }

    static void main(String[] args) throws Exception {
        int subscribers = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int listeners = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        System.out.printf("WebSocketBench many: %d subscribers of %d listeners, %d targets written, 1000 events/s, %d s warm-up"
                + " + %d s measured, %d cores, load average %s%n", subscribers, listeners, TARGETS, WebSocketBench.WARM_UP_SECONDS,
                seconds, Runtime.getRuntime().availableProcessors(), Machine.loadAverage());
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("wsmany", false);
            List<String> targets = new ArrayList<>();
            List<String> tokens = setUp(db, listeners, targets);
            Percentiles base = WebSocketBench.baseline(db, seconds, TARGETS / LoadWriter.WRITERS);
            Path clientsFile = Files.createTempFile("tmidb-wsmany", ".clients");
            Path dueFile = Files.createTempFile("tmidb-wsmany", ".due");
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < subscribers; i++) {
                lines.add(tokens.get(i % listeners) + " " + targets.get(i % TARGETS) + " " + i % TARGETS);
            }
            Files.write(clientsFile, lines);
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            GatewayProcess gateway = GatewayProcess.start(db, port);
            Process swarm = null;
            try {
                long before = gateway.usedHeapKb();
                String java = ProcessHandle.current().info().command().orElse("java");
                swarm = new ProcessBuilder(java, "-Xss256k", "-cp", System.getProperty("java.class.path"), WebSocketSwarm.class.getName(),
                        "ws://127.0.0.1:" + port + "/tmi/ws", clientsFile.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
                BufferedReader out = new BufferedReader(new InputStreamReader(swarm.getInputStream(), StandardCharsets.UTF_8));
                PrintWriter in = new PrintWriter(swarm.getOutputStream(), true, StandardCharsets.UTF_8);
                long connecting = System.nanoTime();
                if (!"ready".equals(out.readLine())) {
                    throw new IllegalStateException("the clients did not all subscribe; their errors are above");
                }
                System.out.printf("%d clients connected and subscribed in %.1f s%n", subscribers, (System.nanoTime() - connecting) / 1e9);
                Thread.sleep(1000);
                long after = gateway.usedHeapKb();
                System.out.printf("gateway heap used after a full GC: %d KB before the clients, %d KB with them idle: %.1f KB per"
                        + " idle subscribed connection (goal <= 50 KB)%n", before, after, (after - before) / (double) subscribers);

                long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(WebSocketBench.WARM_UP_SECONDS);
                in.println("measure " + measureFrom);
                Percentiles commits = new Percentiles();
                int sent = LoadWriter.offer(db, 1000, WebSocketBench.WARM_UP_SECONDS + seconds, commits, TARGETS / LoadWriter.WRITERS);
                Thread.sleep(2000);
                in.println("stats");
                String[] r = out.readLine().split(" ");
                double p50 = Double.parseDouble(r[2]);
                double p99 = Double.parseDouble(r[3]);
                System.out.printf("WebSocket, %d subscribers, 1 %% matching each event: %d events sent, %s frames measured;"
                        + " p50 %.2f ms, p99 %.2f ms, max %s ms; load average %s%n", subscribers, sent, r[1], p50, p99, r[4],
                        Machine.loadAverage());
                System.out.printf("  ratio to the baseline: p50 %.2f, p99 %.2f (goal p99 <= 10)%n", p50 / base.millis(50),
                        p99 / base.millis(99));
                System.out.printf("  writers' INSERT + COMMIT alone: p50 %.2f ms, p99 %.2f ms%n", commits.millis(50), commits.millis(99));

                gateway = restartUnderLoad(db, gateway, port);
                long last = lastEventId(db);
                long caughtUp = waitForCursor(in, out, last);
                writeDue(db, targets, dueFile);
                in.println("check " + dueFile);
                String[] c = out.readLine().split(" ");
                in.println("stats");
                String[] s = out.readLine().split(" ");
                System.out.printf("after the restart: clients resumed up to event %d of %d; %s connections made in all;"
                        + " of %s clients' frames: %s missing, %s duplicated, %s out of order, %s not due%n",
                        caughtUp, last, s[6], c[1], c[2], c[3], c[4], c[5]);
                in.println("quit");
            } finally {
                if (swarm != null && !swarm.waitFor(10, TimeUnit.SECONDS)) {
                    swarm.destroy();
                }
                gateway.stop();
                Files.deleteIfExists(clientsFile);
                Files.deleteIfExists(dueFile);
            }
        }
    }

    /** Targets (the first 100 in target_id order are written) and listeners subscribed to their kind; the listeners' tokens. */
    private static List<String> setUp(TestDatabase db, int listeners, List<String> targets) throws SQLException {
        List<String> tokens = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'bike ' || i, 'bike', 'b' || i FROM generate_series(1, "
                    + TARGETS + ") i");
            try (ResultSet rs = st.executeQuery("SELECT target_id FROM tmi.target ORDER BY target_id")) {
                while (rs.next()) {
                    targets.add(rs.getString(1));
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT tmi.add_listener(?), tmi.subscribe(?, 'bike', ARRAY['t0']), tmi.issue_token(?, '1 day')")) {
                for (int i = 0; i < listeners; i++) {
                    String name = "l" + i;
                    ps.setString(1, name);
                    ps.setString(2, name);
                    ps.setString(3, name);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        tokens.add(rs.getString(3));
                    }
                }
            }
        }
        return tokens;
    }

    /** Writes for 12 s; after 4 s the gateway stops (SIGTERM: its clients get 1001) and a new one starts on the same port. */
    private static GatewayProcess restartUnderLoad(TestDatabase db, GatewayProcess gateway, int port) throws Exception {
        AtomicInteger sent = new AtomicInteger();
        Thread load = new Thread(() -> {
            try {
                sent.set(LoadWriter.offer(db, 1000, 12, new Percentiles(), TARGETS / LoadWriter.WRITERS));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "restart-load");
        load.start();
        Thread.sleep(4000);
        long down = System.nanoTime();
        gateway.stop();
        GatewayProcess again = GatewayProcess.start(db, port);
        System.out.printf("gateway restarted under load: down for %.1f s%n", (System.nanoTime() - down) / 1e9);
        load.join();
        System.out.printf("  %d events written during the restart phase%n", sent.get());
        return again;
    }

    /** Waits (up to 5 minutes) until every client's cursor reached {@code last}; returns the lowest cursor. */
    private static long waitForCursor(PrintWriter in, BufferedReader out, long last) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        long cursor = 0;
        long start = System.nanoTime();
        while (System.nanoTime() < deadline) {
            in.println("cursor");
            cursor = Long.parseLong(out.readLine().split(" ")[1]);
            if (cursor >= last) {
                System.out.printf("  every client resumed and caught up %.1f s after the load ended%n", (System.nanoTime() - start) / 1e9);
                return cursor;
            }
            Thread.sleep(1000);
        }
        System.out.printf("  not every client caught up within 5 minutes: lowest cursor %d of %d%n", cursor, last);
        return cursor;
    }

    private static long lastEventId(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.sequence_events()");
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(event_id), 0) FROM tmi.event_log")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Every obs event id of each target, one line per target index: what each client was due. */
    private static void writeDue(TestDatabase db, List<String> targets, Path file) throws SQLException, IOException {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < TARGETS; i++) {
            index.put(targets.get(i), i);
        }
        List<String> lines = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT target_id::text, string_agg(event_id::text, ' ' ORDER BY event_id) FROM tmi.event_log"
                        + " WHERE event_type = 'obs' AND event_id IS NOT NULL GROUP BY target_id")) {
            while (rs.next()) {
                Integer i = index.get(rs.getString(1));
                if (i != null) {
                    lines.add(i + " " + rs.getString(2));
                }
            }
        }
        Files.write(file, lines);
    }

    /** A gateway in a JVM of its own ({@code GatewayMain}), its log in a file. */
    private static final class GatewayProcess {
        private final Process process;

        private GatewayProcess(Process process) {
            this.process = process;
        }

        static GatewayProcess start(TestDatabase db, int port) throws IOException, InterruptedException {
            String java = ProcessHandle.current().info().command().orElse("java");
            Path log = Files.createTempFile("tmidb-wsmany-gateway", ".log");
            Process p = new ProcessBuilder(java, "-Dtmidb.ws.timings=5", "-cp", System.getProperty("java.class.path"),
                    GatewayMain.class.getName(), "--gateway-port=" + port, "--db-url=" + db.cluster().jdbcUrl(db.name()),
                    "--db-user=postgres", "--db-password=" + db.cluster().superuserPassword(), "--pool-size=4", "--ws-heartbeat=PT1S")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            System.out.println("gateway pid " + p.pid() + ", log " + log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return new GatewayProcess(p);
                } catch (IOException notYet) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("the gateway exited with " + p.exitValue() + "; see " + log);
                    }
                    Thread.sleep(100);
                }
            }
            throw new IllegalStateException("the gateway did not listen within 60 s; see " + log);
        }

        /** Used heap after a full collection, in KB. */
        long usedHeapKb() throws IOException, InterruptedException {
            jcmd("GC.run");
            Matcher m = USED.matcher(jcmd("GC.heap_info"));
            if (!m.find()) {
                throw new IllegalStateException("jcmd GC.heap_info printed no used heap");
            }
            return Long.parseLong(m.group(1));
        }

        private String jcmd(String command) throws IOException, InterruptedException {
            Process j = new ProcessBuilder("jcmd", String.valueOf(process.pid()), command).redirectErrorStream(true).start();
            String text = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            j.waitFor(60, TimeUnit.SECONDS);
            return text;
        }

        /** SIGTERM, as a service manager stops it: its clients are closed with 1001. */
        void stop() throws InterruptedException {
            process.destroy();
            // Jetty waits for open connections to end before it stops: a few seconds are enough for the 1001 closes
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
