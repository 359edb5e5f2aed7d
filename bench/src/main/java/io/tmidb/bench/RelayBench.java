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
            addTargets(db);
            double baseline = baseline(db, nats.url(), events);
            double relayed = throughput(db, nats.url(), events);
            System.out.printf("relay throughput: %.0f events/s (goal >= 20000); baseline, jnats alone: %.0f msgs/s;"
                    + " relay/baseline = %.2f; load average %s%n", relayed, baseline, relayed / baseline, Machine.loadAverage());
            // steady state: a database of its own, without the dead row versions the backlogs left,
            // and a stream of its own (streams cannot share subjects, so TMI goes)
            TestDatabase steady = scratch.createDatabase("relaybench_steady", false);
            try (Connection nc = Nats.connect(nats.url())) {
                nc.jetStreamManagement().deleteStream("TMI");
            }
            addTargets(steady);
            try (Worker relay = startRelay(steady, nats.url(), "STEADY")) {
                latency(steady, nats.url(), "STEADY", 1_000, seconds);
                latency(steady, nats.url(), "STEADY", 10_000, seconds);
            }
        }
    }

    /** Waits, at most a minute, until the relay has created {@code stream}. */
    private static void awaitStream(JetStreamManagement jsm, String stream) throws Exception {
        for (int i = 0; i < 600; i++) {
            try {
                jsm.getStreamInfo(stream);
                return;
            } catch (io.nats.client.JetStreamApiException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the relay did not create stream " + stream + " within a minute");
    }

    /** TARGETS bikes; their creation events are numbered and skipped by the relay's cursor. */
    private static void addTargets(TestDatabase db) throws SQLException {
        try (java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.target (name, kind, ext_key) SELECT 'bike ' || i, 'bike', 'b' || i"
                    + " FROM generate_series(1, " + TARGETS + ") i");
            st.execute("SELECT count(*) FROM tmi.events_since(0, " + TARGETS + ")");
            st.execute("SELECT tmi.advance_relay_cursor('nats', " + TARGETS + ")");
        }
    }

    private static Worker startRelay(TestDatabase db, String natsUrl, String stream) {
        WorkerSettings settings = WorkerSettings.of(Map.of("nats-url", natsUrl, "relay-window", String.valueOf(WINDOW),
                "relay-stream", stream));
        return Worker.start(new WorkerContext(() -> ListeningConnections.open(db), settings), List.of(new EventRelay()));
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

    /**
     * Relays a committed backlog of {@code events}; returns events/s from starting the relay to the
     * cursor reaching the end (connecting, creating the stream and numbering the backlog included)
     * and prints the drain rate after the first acknowledged window too.
     */
    private static double throughput(TestDatabase db, String natsUrl, int events) throws Exception {
        fill(db, events);
        long from = lastCursor(db);
        long start = System.nanoTime();
        try (Worker relay = startRelay(db, natsUrl, "TMI"); java.sql.Connection c = db.connect(); Statement st = c.createStatement()) {
            long firstAt = 0;
            long first = from;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT events_behind, last_event_id FROM tmi.relay_status()")) {
                    rs.next();
                    if (firstAt == 0 && rs.getLong(2) > from) {
                        firstAt = System.nanoTime();
                        first = rs.getLong(2);
                    }
                    if (rs.getLong(1) == 0) {
                        break;
                    }
                }
                Thread.sleep(5);
            }
            long end = System.nanoTime();
            double secs = (end - start) / 1e9;
            System.out.printf("relay: backlog of %d events relayed in %.2f s; after the first acknowledged window"
                    + " (%.2f s in) it drained at %.0f events/s%n", events, secs, (firstAt - start) / 1e9,
                    (from + events - first) / ((end - firstAt) / 1e9));
            return events / secs;
        }
    }

    private static long lastCursor(TestDatabase db) throws SQLException {
        try (java.sql.Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT last_event_id FROM tmi.relay_cursor WHERE name = 'nats'")) {
            rs.next();
            return rs.getLong(1);
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
    private static void latency(TestDatabase db, String natsUrl, String stream, int rate, int seconds) throws Exception {
        Percentiles all = new Percentiles();
        Percentiles toStream = new Percentiles();
        AtomicLong warmUpEnd = new AtomicLong(Long.MAX_VALUE);
        try (Connection nc = Nats.connect(natsUrl)) {
            awaitStream(nc.jetStreamManagement(), stream);
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
            }, false, PushSubscribeOptions.builder().stream(stream).ordered(true)
                    .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
            warmUpEnd.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
            Percentiles commits = new Percentiles();
            int sent = LoadWriter.offer(db, rate, seconds, commits);
            Thread.sleep(2000); // the last events' way through
            int measured = all.count();
            System.out.printf("latency at %d events/s offered: %d events sent, %d measured after 1 s warm-up;"
                    + " p50 %.2f ms, p99 %.2f ms, max %.2f ms (goal at 1000/s: p99 <= 20 ms); load average %s%n",
                    rate, sent, measured, all.millis(50), all.millis(99), all.millis(100), Machine.loadAverage());
            System.out.printf("  writers' INSERT + COMMIT alone: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    commits.millis(50), commits.millis(99), commits.millis(100));
            System.out.printf("  INSERT to stored in the stream (wall clocks): p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                    toStream.millis(50), toStream.millis(99), toStream.millis(100));
        }
    }
}
