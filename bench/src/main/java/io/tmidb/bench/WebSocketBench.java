// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/run WebSocketBench [subscribers] [seconds]}: insert-to-WebSocket latency. Four
 * writers commit 1,000 observation events/s ({@link LoadWriter}, each row carrying its send time)
 * for {@code seconds} (default 15) while {@code subscribers} (default 100) WebSocket clients of an
 * in-process gateway receive them: each is a listener of its own, subscribed to one of the four
 * written targets and two others with one field, and subscribes to {@code obs} events, so each
 * gets a quarter of the events, filtered and shaped by the gateway. The first second is warm-up.
 * <p><b>Baseline</b>, in the same run on the same cluster: one JDBC client with
 * {@code LISTEN tmi_event} that reads each notified event by its log id, the least a database push
 * can cost.
 */
public final class WebSocketBench {
    private static final Pattern T0 = Pattern.compile("\"t0\":\\s*(\\d+)");
    private static final String EVENT_PREFIX = "{\"type\":\"event\",\"id\":";

    private WebSocketBench() {
    }

    public static void main(String[] args) throws Exception {
        int subscribers = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.printf("WebSocketBench: %d subscribers, 1000 events/s for %d s, %d cores%n", subscribers, seconds,
                Runtime.getRuntime().availableProcessors());
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("wsbench", false);
            List<String> tokens = setUp(db, subscribers);
            baseline(db, seconds);
            webSocket(db, tokens, seconds);
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

    /** One JDBC client: LISTEN tmi_event, then each notified event read by its log id. */
    private static void baseline(TestDatabase db, int seconds) throws Exception {
        Percentiles latency = new Percentiles();
        AtomicLong warmUpEnd = new AtomicLong(Long.MAX_VALUE);
        AtomicBoolean stop = new AtomicBoolean();
        Thread listener = new Thread(() -> {
            try (Connection c = db.connect(); Statement st = c.createStatement();
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
        warmUpEnd.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        int sent = LoadWriter.offer(db, 1000, seconds, new Percentiles());
        Thread.sleep(2000);
        stop.set(true);
        listener.join(10_000);
        System.out.printf("baseline, LISTEN/NOTIFY + read by log id, 1 JDBC client: %d events sent, %d measured;"
                + " p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", sent, latency.count(), latency.millis(50), latency.millis(99),
                latency.millis(100));
    }

    private static void webSocket(TestDatabase db, List<String> tokens, int seconds) throws Exception {
        Percentiles latency = new Percentiles();
        AtomicLong warmUpEnd = new AtomicLong(Long.MAX_VALUE);
        AtomicLong disordered = new AtomicLong();
        GatewaySettings settings = GatewaySettings.of(Map.of("port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                "db-user", "postgres", "db-password", password(db), "pool-size", "4"));
        try (Gateway gateway = Gateway.start(settings)) {
            HttpClient http = HttpClient.newHttpClient();
            List<WebSocket> sockets = new ArrayList<>();
            for (String token : tokens) {
                Receiver r = new Receiver(warmUpEnd, latency, disordered);
                WebSocket ws = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                        .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/tmi/ws"), r).get(10, TimeUnit.SECONDS);
                ws.sendText("{\"type\": \"subscribe\", \"events\": [\"obs\"]}", true).get(10, TimeUnit.SECONDS);
                sockets.add(ws);
            }
            Thread.sleep(1000);
            warmUpEnd.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            Percentiles commits = new Percentiles();
            int sent = LoadWriter.offer(db, 1000, seconds, commits);
            Thread.sleep(2000);
            System.out.printf("WebSocket, %d filtered subscribers: %d events sent, %d deliveries measured (expected about %d);"
                    + " p50 %.2f ms, p99 %.2f ms, max %.2f ms (goal p50 <= 3 ms, p99 <= 20 ms); load average %s%n",
                    tokens.size(), sent, latency.count(), (long) (sent - 1000) * tokens.size() / LoadWriter.WRITERS,
                    latency.millis(50), latency.millis(99), latency.millis(100), loadAverage());
            System.out.printf("  events received twice or out of order: %d%n", disordered.get());
            System.out.printf("  writers' INSERT + COMMIT alone: p50 %.2f ms, p99 %.2f ms%n", commits.millis(50), commits.millis(99));
            for (WebSocket ws : sockets) {
                ws.abort();
            }
        }
    }

    /** The decimal digits of {@code text} from {@code at}: the frames are parsed by hand to keep the clients cheap. */
    private static long number(String text, int at) {
        long n = 0;
        for (int i = at; i < text.length() && Character.isDigit(text.charAt(i)); i++) {
            n = n * 10 + (text.charAt(i) - '0');
        }
        return n;
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

    /** Takes the time of each event frame on receipt. */
    private static final class Receiver implements WebSocket.Listener {
        private final AtomicLong warmUpEnd;
        private final Percentiles latency;
        private final AtomicLong disordered;
        private final StringBuilder partial = new StringBuilder();
        private long lastId;

        Receiver(AtomicLong warmUpEnd, Percentiles latency, AtomicLong disordered) {
            this.warmUpEnd = warmUpEnd;
            this.latency = latency;
            this.disordered = disordered;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                String text = partial.toString();
                if (text.startsWith(EVENT_PREFIX)) {
                    long n = number(text, EVENT_PREFIX.length());
                    if (n <= lastId) {
                        disordered.incrementAndGet();
                    }
                    lastId = n;
                    int t0 = text.indexOf("\"t0\":");
                    if (t0 >= 0 && number(text, t0 + 5) > warmUpEnd.get()) {
                        latency.add(now - number(text, t0 + 5));
                    }
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static String password(TestDatabase db) throws java.io.IOException {
        String line = Files.readString(db.cluster().pgpass()).strip();
        return line.substring(line.lastIndexOf(':') + 1);
    }
}
