// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/run WebSocketBench [subscribers] [seconds]}: insert-to-WebSocket
 * latency ({@code bench/run WebSocketBench many ...}: ten thousand subscribers, see {@link WebSocketMany}). Four writers commit 1,000 observation events/s ({@link LoadWriter}, each row carrying
 * its send time) for a warm-up of {@value #WARM_UP_SECONDS} s and then {@code seconds} (default
 * 15) measured, while {@code subscribers} (default 100) WebSocket clients of an in-process gateway
 * receive them: each is a listener of its own, subscribed to one of the four written targets and
 * two others with one field, and subscribes to {@code obs} events, so each gets a quarter of the
 * events, filtered and shaped by the gateway. The clients run in a process of their own
 * ({@link WebSocketClients}), as they would in a deployment: their garbage collection and
 * compilation do not stop the gateway, but they share the machine's cores with it.
 * <p><b>Baseline</b>, in the same run on the same cluster: one JDBC client with
 * {@code LISTEN tmi_event} that reads each notified event by its log id, the least a database push
 * can cost.
 */
public final class WebSocketBench {
    /** Long enough for the JIT to have compiled the paths of the gateway and the clients. */
    static final int WARM_UP_SECONDS = 3;
    private static final Pattern T0 = Pattern.compile("\"t0\":\\s*(\\d+)");

    private WebSocketBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("many")) {
            WebSocketMany.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        int subscribers = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.printf("WebSocketBench: %d subscribers, 1000 events/s, %d s warm-up + %d s measured, %d cores%n",
                subscribers, WARM_UP_SECONDS, seconds, Runtime.getRuntime().availableProcessors());
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("wsbench", false);
            List<String> tokens = setUp(db, subscribers);
            Percentiles base = baseline(db, seconds, 1);
            webSocket(db, tokens, seconds, base);
        }
    }

    /** Targets and one listener per subscriber; returns the listeners' tokens. */
    private static List<String> setUp(TestDatabase db, int subscribers) throws SQLException {
        List<String> tokens = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'bike ' || i, 'bike', 'b' || i FROM generate_series(1, 100) i");
            List<String> targets = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT target_id FROM tmi.target ORDER BY target_id")) {
                while (rs.next()) {
                    targets.add(rs.getString(1));
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.add_listener(?), tmi.subscribe(?, ?::uuid, ARRAY['t0']),"
                    + " tmi.subscribe(?, ?::uuid, ARRAY['t0']), tmi.subscribe(?, ?::uuid, ARRAY['t0']), tmi.issue_token(?, '1 day')")) {
                for (int i = 0; i < subscribers; i++) {
                    String name = "l" + i;
                    // the writers write the first LoadWriter.WRITERS targets in target_id order
                    String[] mine = {targets.get(i % LoadWriter.WRITERS), targets.get(10 + i % 90), targets.get(10 + (i + 45) % 90)};
                    ps.setString(1, name);
                    for (int k = 0; k < 3; k++) {
                        ps.setString(2 + 2 * k, name);
                        ps.setString(3 + 2 * k, mine[k]);
                    }
                    ps.setString(8, name);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        tokens.add(rs.getString(5));
                    }
                }
            }
        }
        return tokens;
    }

    /**
     * One JDBC client: LISTEN tmi_event, then each notified event read by its log id, while the
     * writers write over {@code spread} times their targets ({@link LoadWriter}); returns its latencies.
     */
    static Percentiles baseline(TestDatabase db, int seconds, int spread) throws Exception {
        Percentiles latency = new Percentiles();
        AtomicLong warmUpEnd = new AtomicLong(Long.MAX_VALUE);
        AtomicBoolean stop = new AtomicBoolean();
        Thread listener = new Thread(() -> {
            try (Connection c = ListeningConnections.open(db); Statement st = c.createStatement();
                 PreparedStatement read = c.prepareStatement("SELECT payload::text FROM tmi.event_log WHERE log_id = ?")) {
                st.execute("LISTEN tmi_event");
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!stop.get()) {
                    PGNotification[] notes = pg.getNotifications(200);
                    for (PGNotification n : notes == null ? new PGNotification[0] : notes) {
                        read.setLong(1, Long.parseLong(n.getParameter()));
                        try (ResultSet rs = read.executeQuery()) {
                            if (rs.next()) {
                                record(rs.getString(1), warmUpEnd.get(), latency);
                            }
                        }
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, "baseline-listener");
        listener.start();
        Thread.sleep(500);
        warmUpEnd.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(WARM_UP_SECONDS));
        Percentiles commits = new Percentiles();
        int sent = LoadWriter.offer(db, 1000, WARM_UP_SECONDS + seconds, commits, spread);
        Thread.sleep(2000);
        stop.set(true);
        listener.join(10_000);
        System.out.printf("baseline, LISTEN/NOTIFY + read by log id, 1 JDBC client: %d events sent, %d measured;"
                + " p50 %.2f ms, p99 %.2f ms, max %.2f ms; load average %s%n", sent, latency.count(), latency.millis(50), latency.millis(99),
                latency.millis(100), Machine.loadAverage());
        // every figure includes the writers' own commit, which a busier machine makes slower: compare it with the WebSocket phase's
        System.out.printf("  writers' INSERT + COMMIT alone: p50 %.2f ms, p99 %.2f ms%n", commits.millis(50), commits.millis(99));
        return latency;
    }

    private static void webSocket(TestDatabase db, List<String> tokens, int seconds, Percentiles base) throws Exception {
        GatewaySettings settings = GatewaySettings.of(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                "db-user", "postgres", "db-password", db.cluster().superuserPassword(), "pool-size", "4"));
        Path tokenFile = Files.createTempFile("tmidb-wsbench", ".tokens");
        try (Gateway gateway = Gateway.start(settings)) {
            Files.write(tokenFile, tokens);
            String java = ProcessHandle.current().info().command().orElse("java");
            Process clients = new ProcessBuilder(java, "-cp",
                    System.getProperty("java.class.path"), WebSocketClients.class.getName(),
                    "ws://127.0.0.1:" + gateway.port() + "/tmi/ws", tokenFile.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter in = new PrintWriter(clients.getOutputStream(), true, StandardCharsets.UTF_8)) {
                if (!"ready".equals(out.readLine())) {
                    throw new IllegalStateException("the WebSocket clients did not start; their errors are above");
                }
                Thread.sleep(1000);
                long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARM_UP_SECONDS);
                in.println("measure " + measureFrom);
                Percentiles commits = new Percentiles();
                int sent = LoadWriter.offer(db, 1000, WARM_UP_SECONDS + seconds, commits);
                Thread.sleep(2000);
                in.println("stop");
                String[] r = out.readLine().split(" ");
                System.out.printf("WebSocket, %d filtered subscribers: %d events sent, %s deliveries measured of %d due;"
                        + " p50 %s ms, p99 %s ms, max %s ms; load average %s%n",
                        tokens.size(), sent, r[1], due(db, tokens.size(), measureFrom), r[2], r[3], r[4], Machine.loadAverage());
                System.out.printf("  ratio to the baseline: p50 %.2f (goal <= 2), p99 %.2f (goal <= 3)%n",
                        Double.parseDouble(r[2]) / base.millis(50), Double.parseDouble(r[3]) / base.millis(99));
                System.out.printf("  events received twice or out of order: %s%n", r[5]);
                System.out.printf("  writers' INSERT + COMMIT alone: p50 %.2f ms, p99 %.2f ms%n", commits.millis(50), commits.millis(99));
            } finally {
                if (!clients.waitFor(10, TimeUnit.SECONDS)) {
                    clients.destroy();
                }
            }
        } finally {
            Files.delete(tokenFile);
        }
    }

    /**
     * The frames the clients should have received for events sent after {@code measureFrom}: each
     * written target's events times its subscribers (listener i subscribes to written target i mod
     * {@link LoadWriter#WRITERS}, both in target_id order).
     */
    private static long due(TestDatabase db, int subscribers, long measureFrom) throws SQLException {
        long due = 0;
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM tmi.ts_obs"
                + " WHERE (payload->>'t0')::bigint > ? GROUP BY target_id ORDER BY target_id")) {
            ps.setLong(1, measureFrom);
            try (ResultSet rs = ps.executeQuery()) {
                for (int w = 0; rs.next(); w++) {
                    int listeners = subscribers / LoadWriter.WRITERS + (w < subscribers % LoadWriter.WRITERS ? 1 : 0);
                    due += rs.getLong(1) * listeners;
                }
            }
        }
        return due;
    }

    private static void record(String text, long warmUpEnd, Percentiles latency) {
        long now = System.nanoTime();
        Matcher m = T0.matcher(text);
        while (m.find()) {
            long sent = Long.parseLong(m.group(1));
            if (sent > warmUpEnd) {
                latency.add(now - sent);
            }
        }
    }
}
