// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.ConsumerConfiguration;
import io.tmidb.testkit.NatsServer;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerSettings;
import io.tmidb.worker.relay.EventRelay;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/run RelayBench [events] [seconds]}: the event relay against a real nats-server.
 * <ol>
 * <li>throughput: a backlog of {@code events} (default 100,000) observation events, committed and
 * not yet numbered (as after a NATS outage), relayed to the stream; the baseline publishes the
 * same subjects and bodies with jnats alone (same window, no database) in the same run;</li>
 * <li>latency at 1,000 and 10,000 offered events/s for {@code seconds} (default 15) each: from just
 * before the writer's committing INSERT to a JetStream consumer receiving the event.</li>
 * </ol>
 */
public final class RelayBench {
    private static final int WINDOW = 1000;
    private static final int TARGETS = 1000;
    private static final Pattern T0 = Pattern.compile("\"t0\": (\\d+)");
    private static final Pattern W0 = Pattern.compile("\"w0\": (\\d+)");

    private RelayBench() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.printf("RelayBench: %d events backlog, %d s per load, %d cores%n", events, seconds,
                Runtime.getRuntime().availableProcessors());
        try (ScratchCluster scratch = ScratchCluster.start(); NatsServer nats = NatsServer.startNew()) {
            TestDatabase db = scratch.createDatabase("relaybench", false);
            try (java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
                st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'bike ' || i, 'bike', 'b' || i"
                        + " FROM generate_series(1, " + TARGETS + ") i");
                st.execute("SELECT count(*) FROM tmi.events_since(0, " + TARGETS + ")");
            }
            double baseline = baseline(db, nats.url(), events);
            double relayed = throughput(db, nats.url(), events);
            System.out.printf("relay throughput: %.0f events/s (goal >= 20000); baseline, jnats alone: %.0f msgs/s;"
                    + " relay/baseline = %.2f; load average %s%n", relayed, baseline, relayed / baseline, loadAverage());
            // the backlogs left dead row versions of their numbering; autovacuum would remove them
            // within a minute: start the steady-state runs without them
            try (java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
                st.execute("VACUUM tmi.event_log");
            }
            try (Worker relay = startRelay(db, nats.url())) {
                latency(db, nats.url(), 1_000, seconds);
                latency(db, nats.url(), 10_000, seconds);
            }
        }
    }

    /** The machine's 1-minute load average: other work on it skews every figure. */
    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static Worker startRelay(TestDatabase db, String natsUrl) {
        WorkerSettings settings = WorkerSettings.of(Map.of("nats-url", natsUrl, "relay-window", String.valueOf(WINDOW)));
        return Worker.start(new WorkerContext(db::connect, settings), List.of(new EventRelay()));
    }

    /** Fills event_log with {@code events} observation events, TARGETS per statement, committed. */
    private static void fill(TestDatabase db, int events) throws SQLException {
        try (java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
            for (int done = 0; done < events; done += TARGETS) {
                st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload)"
                        + " SELECT target_id, now(), jsonb_build_object('battery', 50 + " + (done % 50) + ", 'speed_kmh', 12.5)"
                        + " FROM tmi.target ORDER BY target_id LIMIT " + Math.min(TARGETS, events - done));
            }
        }
    }

    private static long lastEventId(TestDatabase db) throws SQLException {
        try (java.sql.Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT coalesce(max(event_id), 0) FROM tmi.event_log")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static double throughput(TestDatabase db, String natsUrl, int events) throws Exception {
        fill(db, events);
        long start = System.nanoTime();
        try (Worker relay = startRelay(db, natsUrl); java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
            long target = -1;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT events_behind, last_event_id FROM tmi.relay_status()")) {
                    if (rs.next() && rs.getLong(1) == 0 && rs.getLong(2) > 0) {
                        target = rs.getLong(2);
                        break;
                    }
                }
                Thread.sleep(10);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("relay: backlog of %d events (ids up to %d) relayed in %.2f s%n", events, target, secs);
            return events / secs;
        }
    }

    /** jnats alone: the same subjects and bodies published to a stream of their own, WINDOW in flight. */
    private static double baseline(TestDatabase db, String natsUrl, int events) throws Exception {
        fill(db, events);
        List<String> subjects = new ArrayList<>(events);
        List<byte[]> bodies = new ArrayList<>(events);
        try (java.sql.Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 'base.' || e.kind || '.' || e.target_id || '.' || e.event_type,"
                     + " json_build_object('event_id', e.event_id, 'ts', e.ts, 'event_type', e.event_type, 'kind', e.kind,"
                     + " 'target_id', e.target_id, 'payload', e.payload)::text FROM tmi.events_since(" + TARGETS + ", " + events + ") e")) {
            while (rs.next()) {
                subjects.add(rs.getString(1));
                bodies.add(rs.getString(2).getBytes(StandardCharsets.UTF_8));
            }
        }
        // the relay skips these: its cursor starts at the first event it publishes
        try (java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.advance_relay_cursor('nats', " + lastEventId(db) + ")");
        }
        try (Connection nc = Nats.connect(natsUrl)) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name("BASE").subjects("base.>")
                    .storageType(StorageType.File).duplicateWindow(Duration.ofMinutes(2)).build());
            JetStream js = nc.jetStream();
            ArrayDeque<CompletableFuture<PublishAck>> inFlight = new ArrayDeque<>();
            long start = System.nanoTime();
            for (int i = 0; i < subjects.size(); i++) {
                if (inFlight.size() >= WINDOW) {
                    inFlight.removeFirst().get(30, TimeUnit.SECONDS);
                }
                inFlight.addLast(js.publishAsync(subjects.get(i), bodies.get(i),
                        PublishOptions.builder().messageId(Integer.toString(i + 1)).expectedStream("BASE").build()));
            }
            while (!inFlight.isEmpty()) {
                inFlight.removeFirst().get(30, TimeUnit.SECONDS);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("baseline: %d messages published and acknowledged in %.2f s%n", subjects.size(), secs);
            return subjects.size() / secs;
        }
    }

    /** Offers {@code rate} events/s for {@code seconds}; prints commit-to-consumer latency percentiles. */
    private static void latency(TestDatabase db, String natsUrl, int rate, int seconds) throws Exception {
        Percentiles all = new Percentiles();
        Percentiles toStream = new Percentiles();
        AtomicLong warmUpEnd = new AtomicLong(Long.MAX_VALUE);
        try (Connection nc = Nats.connect(natsUrl)) {
            Dispatcher dispatcher = nc.createDispatcher();
            JetStream js = nc.jetStream();
            js.subscribe("tmi.*.*.obs", dispatcher, m -> {
                long now = System.nanoTime();
                Matcher t0 = T0.matcher(new String(m.getData(), StandardCharsets.UTF_8));
                if (t0.find()) {
                    long sent = Long.parseLong(t0.group(1));
                    Matcher w0 = W0.matcher(new String(m.getData(), StandardCharsets.UTF_8));
                    if (sent > warmUpEnd.get() && w0.find()) {
                        all.add(now - sent);
                        java.time.ZonedDateTime stored = m.metaData().timestamp();
                        long storedMicros = stored.toEpochSecond() * 1_000_000L + stored.getNano() / 1_000;
                        toStream.add((storedMicros - Long.parseLong(w0.group(1))) * 1_000);
                    }
                }
            }, false, PushSubscribeOptions.builder().stream("TMI").ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            warmUpEnd.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            Percentiles commits = new Percentiles();
            int sent = LoadWriter.offer(db, rate, seconds, commits);
            Thread.sleep(2000); // the last events' way through
            int measured = all.count();
            System.out.printf("latency at %d events/s offered: %d events sent, %d measured after 1 s warm-up;"
                    + " p50 %.2f ms, p99 %.2f ms, max %.2f ms (goal at 1000/s: p99 <= 20 ms); load average %s%n",
                    rate, sent, measured, all.millis(50), all.millis(99), all.millis(100), loadAverage());
            System.out.printf("  writers' INSERT + COMMIT alone: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    commits.millis(50), commits.millis(99), commits.millis(100));
            System.out.printf("  INSERT to stored in the stream (wall clocks): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    toStream.millis(50), toStream.millis(99), toStream.millis(100));
        }
    }
}
