// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.settings.Setting;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.WorkerMain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tmidb.worker.connector.ConnectorTesting.await;
import static io.tmidb.worker.connector.ConnectorTesting.payloads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tmidb-worker as its own process, started by its main: settings from tmidb.conf (here
 * connector-allow-private, which lets it fetch from this test's loopback server), and bad options
 * and values refused in one line with exit code 2.
 */
@TmidbTest
class WorkerConfigFileIT {
    private static FeedServer feeds;

    @TempDir
    Path dir;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
        feeds.route("/feed.json", FeedServer.ok("application/json", "{\"from\": \"loopback\"}"));
    }

    @AfterAll
    static void stopFeeds() {
        feeds.close();
    }

    @Test
    void aConfigFileAllowingPrivateAddressesIsObeyed(TestDatabase db) throws Exception {
        ConnectorTesting.disableAllConnectors(db);
        Path conf = Files.writeString(dir.resolve("tmidb.conf"), String.join("\n",
                "# a worker's settings, as an operator writes them",
                "db-url = " + db.cluster().jdbcUrl(db.name()),
                "db-user = postgres",
                "nats-url =",
                "connector-allow-private = true", ""));
        Path log = dir.resolve("worker.log");
        Process worker = start(Map.of("TMIDB_DB_PASSWORD", db.cluster().superuserPassword()), log, "--config", conf.toString());
        try (Connection c = db.connect()) {
            c.createStatement().execute("SELECT tmi.add_connector('conf-local', '" + feeds.url("/feed.json") + "', '1 hour')");
            assertEquals("loopback", await(Duration.ofSeconds(30), "the loopback document",
                    () -> {
                        assertTrue(worker.isAlive(), () -> "the worker exited: " + read(log));
                        return payloads(c, "conf-local").stream().findFirst().orElse(null);
                    }).get("data").get("from").asText(), () -> read(log));
            // the worker says where each value it was given came from, the password masked
            String given = "settings given: nats-url= (" + conf + ":4), db-url=" + Setting.DB_URL.shown(db.cluster().jdbcUrl(db.name()))
                    + " (" + conf + ":2), db-user=postgres (" + conf + ":3), db-password=**** (environment TMIDB_DB_PASSWORD),"
                    + " connector-allow-private=true (" + conf + ":5)";
            assertTrue(read(log).contains(given), () -> read(log));
        } finally {
            worker.destroy();
            assertTrue(worker.waitFor(30, TimeUnit.SECONDS), "the worker did not stop on SIGTERM");
        }
    }

    @Test
    void aBadValueInTheFileStopsItWithOneLine() throws Exception {
        Path conf = Files.writeString(dir.resolve("tmidb.conf"), "db-user = postgres\nconnector-allow-private = yes\n");
        Result r = run(Map.of("TMIDB_CONFIG", conf.toString()));
        assertEquals(2, r.code, r.output);
        assertEquals("tmidb-worker: error: connector-allow-private must be true or false, got 'yes' (" + conf + ":2)\n", r.output);
    }

    @Test
    void helpAndBadOptions() throws Exception {
        Result help = run(Map.of(), "--help");
        assertEquals(0, help.code, help.output);
        assertTrue(help.output.startsWith("Usage: tmidb-worker "), help.output);
        assertTrue(help.output.contains("--connector-allow-private=true|false"), help.output);
        Result unknown = run(Map.of(), "--frobnicate=1");
        assertEquals(2, unknown.code, unknown.output);
        assertEquals("tmidb-worker: error: Unknown option: '--frobnicate=1' (see tmidb-worker --help)\n", unknown.output);
        Result bad = run(Map.of(), "--batch-size=0");
        assertEquals(2, bad.code, bad.output);
        assertEquals("tmidb-worker: error: batch-size must be at least 1, got '0' (command line)\n", bad.output);
    }

    private record Result(int code, String output) {
    }

    private Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "worker", ".log");
        Process p = start(env, log, args);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tmidb-worker did not exit");
        return new Result(p.exitValue(), read(log));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static Process start(Map<String, String> env, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("TMIDB_"));
        pb.environment().putAll(env);
        return pb.start();
    }
}
