// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import com.sun.net.httpserver.HttpServer;
import io.tmidb.testkit.NatsServer;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.relay.RelayRun;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three workers against one database, one of them closed midway: documents are mapped once,
 * readings stored once, alarms follow each target's readings in time order, each event reaches
 * the stream once and in order, one relay publishes at a time, and a connector is not fetched
 * by two workers in the same interval.
 */
@TmidbTest
class ManyWorkersIT {
    private static final int GROUPS = 4;
    private static final int TARGETS_PER_GROUP = 40;
    private static final int CHUNKS = 8;
    private static final int STEPS_PER_CHUNK = 5;
    private static final long T0 = 1795780800000L;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String RULE = """
            {"iterate": "$.readings[*]", "kind": "meter", "key": "$.id", "timestamp": {"path": "$.t", "format": "epoch_ms"},
             "fields": {"temp": {"path": "$.temp", "type": "number"}}}""";

    @Test
    void threeWorkersShareTheWorkWithNothingLostOrDuplicated(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("many_workers", false);
        List<Long> fetches = new CopyOnWriteArrayList<>();
        HttpServer feed = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        feed.createContext("/feed.json", exchange -> {
            fetches.add(System.nanoTime());
            // the same reading every time: stored once however often it is fetched
            byte[] body = ("{\"readings\": [{\"id\": \"F1\", \"t\": " + T0 + ", \"temp\": 20}]}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        feed.start();
        List<Worker> workers = new ArrayList<>();
        try (NatsServer nats = NatsServer.startNew(); Connection c = d.connect(); Statement st = c.createStatement();
             RelayHolders holders = RelayHolders.watch(d)) {
            st.execute("SELECT tmi.add_mapping('meters', '" + RULE + "')");
            // a connector stores the fetched body under "data"
            st.execute("SELECT tmi.add_mapping('feed', '" + RULE.replace("$.readings", "$.data.readings") + "')");
            st.execute("SELECT tmi.add_alarm('meter', 'temp', '>', 50, clear_at => 40)");
            Map<String, String> settings = new HashMap<>(RelayRun.QUICK);
            settings.putAll(Map.of("nats-url", nats.url(), "sweep-interval", "PT0.2S", "batch-size", "1",
                    "connector-allow-private", "true", "connector-connect-timeout", "PT1S", "connector-read-timeout", "PT2S"));
            // the first worker's relay takes the cursor; the others' wait for it
            workers.add(start(d, settings));
            holders.awaitHolder(WAIT);
            workers.add(start(d, settings));
            workers.add(start(d, settings));
            st.execute("SELECT tmi.add_connector('feed', 'http://127.0.0.1:" + feed.getAddress().getPort() + "/feed.json',"
                    + " '1 second', 'json')");

            try (PreparedStatement ingest = c.prepareStatement("SELECT tmi.ingest('meters', CAST(? AS jsonb))")) {
                for (int chunk = 0; chunk < CHUNKS; chunk++) {
                    for (int g = 0; g < GROUPS; g++) {
                        ingest.setString(1, document(g, chunk));
                        ingest.execute();
                    }
                    // a redelivery of one document, mapped alongside the original
                    ingest.setString(1, document(0, chunk));
                    ingest.execute();
                    // the next chunk's readings are later: each target's readings reach the alarms in time order
                    await(c, "SELECT count(*) FROM tmi.raw_bucket WHERE status = 'pending' AND source = 'meters'", 0);
                    if (chunk == CHUNKS / 2) {
                        workers.remove(0).close(); // the worker whose relay publishes
                    }
                }
            }
            // a fetch still under way when its connector is dropped stores nothing
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (fetches.size() < 4) {
                assertTrue(System.nanoTime() < deadline, "the connector was fetched " + fetches.size() + " times in " + WAIT);
                Thread.sleep(50);
            }
            st.execute("SELECT tmi.drop_connector('feed')");
            await(c, "SELECT (SELECT count(*) FROM tmi.raw_bucket WHERE status = 'pending')"
                    + " + (SELECT count(*) FROM tmi.schema_pending) + (SELECT count(*) FROM tmi.alarm_pending)", 0);
            long events = scalarLong(c, "SELECT count(*) FROM tmi.event_log");
            RelayRun.awaitCursor(d, "nats", events, WAIT);
            for (Worker w : workers) {
                w.close();
            }
            workers.clear();

            long readings = (long) GROUPS * TARGETS_PER_GROUP * CHUNKS * STEPS_PER_CHUNK;
            assertEquals(List.of(), Sql.column(c, "SELECT raw_id || ' ' || status || ' ' || coalesce(error, '')"
                    + " FROM tmi.raw_bucket WHERE status <> 'mapped'"), "documents not mapped");
            assertEquals(CHUNKS * (GROUPS + 1), scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket WHERE source = 'meters'"));
            // readings stored once: redeliveries and repeated fetches merge into what is stored
            assertEquals(readings + 1, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals(0, scalarLong(c, "SELECT count(*) - count(DISTINCT (target_id, ts)) FROM tmi.ts_obs"));
            assertEquals(readings + 1, scalarLong(c, "SELECT sum((counts->>'observations')::bigint) FROM tmi.raw_bucket"));
            // and every item of every document is accounted for: stored anew, or merged with what was stored
            assertEquals(List.of(), Sql.column(c, """
                    SELECT raw_id || ' ' || counts FROM tmi.raw_bucket
                     WHERE (counts->>'items')::int <> (SELECT sum(coalesce((counts->>k)::int, 0)) FROM unnest(ARRAY['observations',
                           'observations_unchanged', 'observations_corrected', 'observations_repeated']) k)"""));
            // every reading is in exactly one event, once
            assertEquals("true", scalar(c, """
                    SELECT ((SELECT array_agg(id ORDER BY id) FROM (SELECT (o->>'obs_id')::bigint AS id
                              FROM tmi.events_since(0, 10000000) e, jsonb_array_elements(e.payload->'obs') o
                             WHERE e.event_type = 'obs') x)
                         = (SELECT array_agg(obs_id ORDER BY obs_id) FROM tmi.ts_obs))::text"""));
            Map<String, String> expected = expectedAlarms();
            Map<String, String> got = alarms(c);
            assertEquals(expected.keySet(), got.keySet(), "targets with alarms");
            assertEquals(List.of(), expected.keySet().stream().filter(t -> !expected.get(t).equals(got.get(t)))
                    .map(t -> t + ": " + got.get(t) + " instead of " + expected.get(t)).toList(),
                    "alarms (raised-cleared steps) that differ from the targets' readings evaluated in time order");
            assertExactlyOnceInOrder(nats.url(), events);

            // one relay at a time, and another took over when the publishing worker was closed
            assertEquals(1, holders.mostAtOnce(), "relays holding the cursor at the same time");
            assertTrue(holders.distinct() >= 2, "another worker's relay took over: " + holders.distinct() + " holders seen");
            // the connector, claimed by whichever worker found it due, never ran twice within its interval
            for (int i = 1; i < fetches.size(); i++) {
                long gapMs = (fetches.get(i) - fetches.get(i - 1)) / 1_000_000;
                assertTrue(gapMs >= 900, "fetch " + (i + 1) + " came " + gapMs + " ms after the one before");
            }
            long stored = scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket WHERE source = 'feed'");
            assertTrue(stored >= 1 && stored <= fetches.size(), stored + " documents stored from " + fetches.size() + " fetches");
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs o JOIN tmi.target t USING (target_id)"
                    + " WHERE t.ext_key = 'F1'"));
        } finally {
            for (Worker w : workers) {
                w.close();
            }
            feed.stop(0);
        }
    }

    /**
     * A batch meets a target that another writer created after the batch's statement began (as when
     * two workers map documents about the same new targets): its readings go to that target.
     */
    @Test
    void aTargetCreatedByAnotherWriterMeanwhileGetsTheBatchsReadings(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("target_meanwhile", false);
        try (Connection c = d.connect(); Statement st = c.createStatement(); Connection other = d.connect();
             Statement otherSt = other.createStatement()) {
            st.execute("SELECT tmi.add_mapping('meters', '" + RULE + "')");
            other.setAutoCommit(false);
            otherSt.execute("INSERT INTO tmi.target (name, kind, ext_key) VALUES ('K1', 'meter', 'K1')");
            st.execute("SELECT tmi.ingest('meters', '{\"readings\": [{\"id\": \"K1\", \"t\": " + T0 + ", \"temp\": 20},"
                    + " {\"id\": \"K2\", \"t\": " + T0 + ", \"temp\": 21}]}')");
            try (Worker w = Worker.start(new WorkerContext(WorkerLogin.of(d), WorkerSettings.of(Map.of("sweep-interval", "PT0.2S"))),
                    List.of(io.tmidb.worker.host.StoredLogicHost.mapping()))) {
                // the worker's insert of K1 waits for the other writer, then meets its committed row
                await(c, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", 1);
                other.commit();
                await(c, "SELECT count(*) FROM tmi.raw_bucket WHERE status = 'pending'", 0);
            }
            assertEquals(List.of("K1 20", "K2 21"), Sql.column(c, "SELECT t.ext_key || ' ' || (o.payload->>'temp')"
                    + " FROM tmi.ts_obs o JOIN tmi.target t USING (target_id) ORDER BY 1"));
            assertEquals("{\"items\": 2, \"positions\": 0, \"failed_items\": 0, \"observations\": 2}",
                    scalar(c, "SELECT counts::text FROM tmi.raw_bucket"));
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.target WHERE ext_key = 'K1'"));
            // taken as it was: no update event for it
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.event_log WHERE event_type = 'target.updated'"));
        }
    }

    private static Worker start(TestDatabase d, Map<String, String> settings) throws SQLException {
        return Worker.start(new WorkerContext(WorkerLogin.of(d), WorkerSettings.of(settings)), WorkerMain.services());
    }

    /** The temperature of target {@code i} at step {@code n}: two readings over 50, two under 40, shifted per target. */
    private static int temp(int i, int n) {
        return (n + i) % 4 < 2 ? 60 : 30;
    }

    /** Group {@code g}'s readings of one chunk of steps. */
    private static String document(int g, int chunk) {
        StringBuilder sb = new StringBuilder("{\"readings\": [");
        for (int k = 0; k < STEPS_PER_CHUNK; k++) {
            int n = chunk * STEPS_PER_CHUNK + k;
            for (int j = 0; j < TARGETS_PER_GROUP; j++) {
                int i = g * TARGETS_PER_GROUP + j;
                if (k > 0 || j > 0) {
                    sb.append(", ");
                }
                sb.append("{\"id\": \"M").append(i).append("\", \"t\": ").append(T0 + n * 60_000L)
                        .append(", \"temp\": ").append(temp(i, n)).append('}');
            }
        }
        return sb.append("]}").toString();
    }

    /** Each target's alarms as "raised-cleared" steps, evaluated over all its readings in time order. */
    private static Map<String, String> expectedAlarms() {
        Map<String, String> expected = new TreeMap<>();
        for (int i = 0; i < GROUPS * TARGETS_PER_GROUP; i++) {
            List<String> alarms = new ArrayList<>();
            Integer raised = null;
            for (int n = 0; n < CHUNKS * STEPS_PER_CHUNK; n++) {
                int v = temp(i, n);
                if (raised == null && v > 50) {
                    raised = n;
                } else if (raised != null && v <= 40) {
                    alarms.add(raised + "-" + n);
                    raised = null;
                }
            }
            if (raised != null) {
                alarms.add(raised + "-open");
            }
            expected.put("M" + i, String.join(",", alarms));
        }
        return expected;
    }

    private static Map<String, String> alarms(Connection c) throws SQLException {
        Map<String, String> got = new TreeMap<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT t.ext_key, string_agg(((extract(epoch FROM a.raised_at) * 1000 - %1$d) / 60000)::int || '-'
                       || coalesce((((extract(epoch FROM a.cleared_at) * 1000 - %1$d) / 60000)::int)::text, 'open'),
                       ',' ORDER BY a.raised_at, a.alarm_id)
                  FROM tmi.alarm_event a JOIN tmi.target t USING (target_id) GROUP BY t.ext_key""".formatted(T0))) {
            while (rs.next()) {
                got.put(rs.getString(1), rs.getString(2));
            }
        }
        return got;
    }

    private static void assertExactlyOnceInOrder(String natsUrl, long events) throws Exception {
        RelayRun.assertExactlyOnceInOrder(RelayRun.readStream(natsUrl, "TMI", events), events);
    }

    private static void await(Connection c, String sql, long value) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        long now;
        while ((now = scalarLong(c, sql)) != value) {
            if (System.nanoTime() > deadline) {
                fail(sql + " is " + now + ", not " + value + " after " + WAIT);
            }
            Thread.sleep(20);
        }
    }

    /** Watches, every few milliseconds, which sessions hold the relay's cursor lock. */
    private static final class RelayHolders implements AutoCloseable {
        private final Connection c;
        private final Thread thread;
        private final Set<Integer> seen = new HashSet<>();
        private final AtomicInteger mostAtOnce = new AtomicInteger();
        private volatile SQLException failed;
        private volatile boolean stop;

        private RelayHolders(Connection c) {
            this.c = c;
            this.thread = new Thread(this::watch, "relay-holders");
        }

        static RelayHolders watch(TestDatabase d) throws SQLException {
            RelayHolders h = new RelayHolders(d.connect());
            h.thread.start();
            return h;
        }

        private void watch() {
            try (PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    + " AND classid = hashtext('tmi.relay_cursor')::oid AND objid = hashtext('nats')::oid AND objsubid = 2")) {
                while (!stop) {
                    int n = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            n++;
                            synchronized (seen) {
                                seen.add(rs.getInt(1));
                            }
                        }
                    }
                    mostAtOnce.accumulateAndGet(n, Math::max);
                    Thread.sleep(5);
                }
            } catch (SQLException e) {
                failed = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitHolder(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (distinct() == 0) {
                assertTrue(System.nanoTime() < deadline, "no relay took the cursor within " + timeout);
                Thread.sleep(20);
            }
        }

        int distinct() {
            synchronized (seen) {
                return seen.size();
            }
        }

        int mostAtOnce() throws SQLException {
            if (failed != null) {
                throw failed;
            }
            return mostAtOnce.get();
        }

        @Override
        public void close() throws Exception {
            stop = true;
            thread.join(5_000);
            c.close();
        }
    }
}
