// SPDX-License-Identifier: MIT
package io.tmidb.packaging;

import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import io.tmidb.launcher.cli.ExitCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole node from the tarball: tmidbd supervises the server and tmidb-worker, the worker maps
 * documents, a killed worker is restarted, and stop takes every part down.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NodeIT {
    private static final Path TARBALL = Path.of(System.getProperty("tmidb.tarball"));
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    private static final Pattern WORKER = Pattern.compile("(?m)^worker\\s+running\\s+pid (\\d+), (\\d+) restarts");

    @Test
    void theNodeSupervisesItsWorker() throws Exception {
        Path base = Files.createTempDirectory("tmidb-node-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        try {
            assertEquals(0, Command.run(TIMEOUT, "tar", "-xzf", TARBALL.toString(), "-C", base.toString()).exitCode());
            Path home = base.resolve("tmidb-0.1.0");
            Path pg = PgInstallation.locate(Optional.empty()).isolatedCopy(base.resolve("pg")).binDir();
            Path nodeDir = Files.createDirectories(base.resolve("node"));
            ServerUser.forCurrentProcess("postgres").own(nodeDir);
            Path data = nodeDir.resolve("data");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            // an external NATS that is not there: this test is about the worker, not the relay
            int gatewayPort;
            try (ServerSocket s = new ServerSocket(0)) {
                gatewayPort = s.getLocalPort();
            }
            Map<String, String> env = Map.of("TMIDB_PG_BINDIR", pg.toString(), "TMIDB_DATA_DIR", data.toString(),
                    "TMIDB_NATS_URL", "nats://127.0.0.1:9", "TMIDB_GATEWAY_PORT", String.valueOf(gatewayPort));
            assertEquals(0, run(home, env, "tmidbd", "init", "-p", String.valueOf(port)).exitCode());
            Command start = run(home, env, "tmidbd", "start");
            assertEquals(0, start.exitCode(), start.output());
            assertTrue(start.output().contains("=== tmiDB 0.2 ready ==="), start.output());
            try {
                Command report = run(home, env, "tmictl", "status");
                Matcher first = WORKER.matcher(report.output());
                assertTrue(first.find(), "no running worker in tmictl status: " + report.output());
                assertTrue(report.output().contains("gateway     running"), report.output());
                // the supervised gateway serves the node's OpenAPI document
                var http = java.net.http.HttpClient.newHttpClient();
                var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + gatewayPort + "/")).build();
                java.net.http.HttpResponse<String> openapi = null;
                for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); openapi == null; ) {
                    try {
                        openapi = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
                    } catch (java.net.ConnectException e) {
                        assertTrue(System.nanoTime() < until, "the gateway did not listen on port " + gatewayPort);
                        Thread.sleep(250);
                    }
                }
                assertEquals(200, openapi.statusCode(), openapi.body());
                assertTrue(openapi.body().replace(" ", "").contains("\"title\":\"tmiDBAPI\""), openapi.body());
                // it logs in as the authenticator role, not as the superuser
                awaitSql(home, env, "SELECT string_agg(DISTINCT usename::text, ',') FROM pg_stat_activity"
                        + " WHERE application_name = 'tmiDB-Gateway'", "tmidb_authenticator");

                // the thin tmictl wrappers over the SQL front door
                Command rule = run(home, env, "tmictl", "mapping", "add", "meters", "--rule", "{\"iterate\": \"$[*]\","
                        + " \"kind\": \"meter\", \"key\": \"$.id\", \"fields\": {\"kwh\": {\"path\": \"$.kwh\", \"type\": \"integer\"}}}");
                assertEquals(0, rule.exitCode(), rule.output());
                assertEquals(0, run(home, env, "tmictl", "alarm", "add", "meter", "kwh", ">", "10", "--severity", "critical").exitCode());
                Command sql = run(home, env, "tmictl", "psql", "--", "-v", "ON_ERROR_STOP=1",
                        "-c", "SELECT tmi.ingest('meters', '[{\"id\": \"m1\", \"kwh\": 1.5}, {\"id\": \"m2\", \"kwh\": 20}]')");
                assertEquals(0, sql.exitCode(), sql.output());
                awaitSql(home, env, "SELECT status FROM tmi.raw_bucket", "failed");
                assertTrue(run(home, env, "tmictl", "mapping", "list").output().contains("meters"));
                // fixing the rule and remapping, with progress, replaces the document's observations
                assertEquals(0, run(home, env, "tmictl", "mapping", "add", "meters", "--rule", "{\"iterate\": \"$[*]\","
                        + " \"kind\": \"meter\", \"key\": \"$.id\", \"fields\": {\"kwh\": {\"path\": \"$.kwh\", \"type\": \"number\"}}}").exitCode());
                Command remap = run(home, env, "tmictl", "mapping", "remap", "meters");
                assertEquals(0, remap.exitCode(), remap.output());
                assertTrue(remap.output().contains("remap: 1 documents of meters queued") && remap.output().contains("remap: 1 of 1 done"),
                        remap.output());
                awaitSql(home, env, "SELECT status FROM tmi.raw_bucket", "mapped");
                awaitSql(home, env, "SELECT count(*) FROM tmi.alarm_event WHERE state = 'active'", "1");
                Command alarms = run(home, env, "tmictl", "alarm", "list", "--open");
                assertTrue(alarms.output().contains("active") && alarms.output().contains("kwh > 10"), alarms.output());
                String alarmId = alarms.output().lines().skip(1).findFirst().orElseThrow().strip().split("\\s+")[0];
                assertEquals("alarm " + alarmId + " acknowledged", run(home, env, "tmictl", "alarm", "ack", alarmId).output().strip());
                Command twice = run(home, env, "tmictl", "alarm", "ack", alarmId);
                assertEquals(1, twice.exitCode(), twice.output());
                assertTrue(twice.output().contains("(SQLSTATE 55000)") && twice.output().contains("tmictl: hint: "), twice.output());

                new ProcessBuilder("kill", "-9", first.group(1)).start().waitFor();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                Matcher again;
                do {
                    assertTrue(System.nanoTime() < deadline, "the worker was not restarted");
                    Thread.sleep(250);
                    again = WORKER.matcher(Files.readString(data.resolve("tmidbd.status")));
                } while (!(again.find() && !again.group(1).equals(first.group(1))));
                assertEquals("1", again.group(2));
                // the restarted worker works
                assertEquals(0, run(home, env, "tmictl", "psql", "--", "-c",
                        "SELECT tmi.ingest('meters', '[{\"id\": \"m3\", \"kwh\": 3}]')").exitCode());
                awaitSql(home, env, "SELECT count(*) FROM tmi.ts_obs", "3");
                Command status = run(home, env, "tmictl", "status");
                assertTrue(status.output().contains("queue       idle"), status.output());
            } finally {
                Command stop = run(home, env, "tmidbd", "stop");
                assertEquals(0, stop.exitCode(), stop.output());
            }
            assertEquals(ExitCodes.NOT_RUNNING, run(home, env, "tmidbd", "status").exitCode());
            Command ps = Command.run(Duration.ofSeconds(10), "ps", "-eo", "args");
            assertTrue(ps.output().lines().noneMatch(l -> l.contains(base.toString()) && !l.startsWith("ps ")), ps.output());
        } finally {
            try (Stream<Path> files = Files.walk(base)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Command run(Path home, Map<String, String> env, String program, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(home.resolve("bin").resolve(program).toString()));
        cmd.addAll(List.of(args));
        return Command.run(cmd, env, TIMEOUT);
    }

    private static void awaitSql(Path home, Map<String, String> env, String sql, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String got;
        do {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + sql + " = " + expected);
            Thread.sleep(250);
            got = run(home, env, "tmictl", "psql", "--", "-A", "-t", "-c", sql).output().strip();
        } while (!got.equals(expected));
    }
}
