// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerLogin;
import io.tmidb.worker.WorkerSettings;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.fail;

/** What the connector integration tests share: a worker running the scheduler, waiting, reading rows. */
final class ConnectorTesting {
    static final ObjectMapper JSON = new ObjectMapper();

    private ConnectorTesting() {
    }

    /**
     * A worker running only the scheduler, with short limits; sweep-interval is long, so a change
     * picked up within a second was picked up through LISTEN.
     */
    static Worker startWorker(TestDatabase db, Map<String, String> overrides) throws SQLException {
        Map<String, String> settings = new HashMap<>(Map.of(
                "connector-allow-private", "true",
                "connector-connect-timeout", "PT1S",
                "connector-read-timeout", "PT1S",
                "connector-max-body-bytes", "65536",
                "connector-max-redirects", "2",
                "sweep-interval", "PT30S"));
        settings.putAll(overrides);
        return Worker.start(new WorkerContext(WorkerLogin.of(db), WorkerSettings.of(settings)), List.of(new ConnectorScheduler()));
    }

    /** Disables every connector earlier tests left, so that only the running test's connectors are fetched. */
    static void disableAllConnectors(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("UPDATE tmi.ingest_connector SET enabled = false");
        }
    }

    /** Polls until probe returns non-null (every 20 ms, at most {@code timeout}); returns that value. */
    static <T> T await(Duration timeout, String what, Callable<T> probe) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            T value = probe.call();
            if (value != null) {
                return value;
            }
            Thread.sleep(20);
        }
        return fail("timed out after " + timeout.toMillis() + " ms waiting for " + what);
    }

    static long rawCount(Connection c, String source) throws SQLException {
        return Sql.scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket WHERE source = '" + source + "'");
    }

    /** The payloads stored for a source, oldest first. */
    static List<JsonNode> payloads(Connection c, String source) throws SQLException {
        return Sql.column(c, "SELECT payload::text FROM tmi.raw_bucket WHERE source = '" + source + "' ORDER BY raw_id")
                .stream().map(ConnectorTesting::json).toList();
    }

    /** One column of the connector's row in tmi.connectors. */
    static String state(Connection c, String name, String column) throws SQLException {
        return Sql.scalar(c, "SELECT (" + column + ")::text FROM tmi.connectors WHERE name = '" + name + "'");
    }

    /** Waits until the connector has recorded an error; returns it. */
    static String awaitError(Connection c, String name) throws Exception {
        return await(Duration.ofSeconds(10), "an error on " + name, () -> state(c, name, "last_error"));
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
