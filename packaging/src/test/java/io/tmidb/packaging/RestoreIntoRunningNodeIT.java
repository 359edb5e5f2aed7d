// SPDX-License-Identifier: MIT
package io.tmidb.packaging;

import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tmictl restore into a node that runs with its worker (and the worker's event relay, publishing
 * to a real nats-server) and gateway up, ten times: the first into the node as it started, with no
 * data yet, the others replacing the data. The node's services stay off the database until the
 * restored data is verified, so none of them writes into it halfway (what a relay's cursor row did:
 * "Key (name)=(nats) already exists ... COPY relay_cursor"); they resume afterwards.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class RestoreIntoRunningNodeIT {
    private static final Path TARBALL = Path.of(System.getProperty("tmidb.tarball"));
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    private static final Pattern PART = Pattern.compile("(?m)^(worker|gateway)\\s+running\\s+pid (\\d+), (\\d+) restarts");
    private static final String COUNTS = "SELECT (SELECT count(*) FROM tmi.target) || ' ' || (SELECT count(*) FROM tmi.ts_obs)"
            + " || ' ' || (SELECT count(*) FROM tmi.event_log) || ' ' || (SELECT count(*) FROM tmi.raw_bucket)";

    @Test
    void restoresTenTimesIntoARunningNode() throws Exception {
        Path base = Files.createTempDirectory("tmidb-restore-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Process nats = null;
        try {
            assertEquals(0, Command.run(TIMEOUT, "tar", "-xzf", TARBALL.toString(), "-C", base.toString()).exitCode());
            Path home = base.resolve("tmidb-0.1.0");
            Path pg = PgInstallation.locate(Optional.empty()).isolatedCopy(base.resolve("pg")).binDir();
            Path nodeDir = Files.createDirectories(base.resolve("node"));
            ServerUser.forCurrentProcess("postgres").own(nodeDir);
            Path data = nodeDir.resolve("data");
            int natsPort = freePort();
            nats = new ProcessBuilder("/usr/sbin/nats-server", "-js", "-sd", base.resolve("nats").toString(),
                    "-a", "127.0.0.1", "-p", String.valueOf(natsPort)).redirectErrorStream(true)
                    .redirectOutput(base.resolve("nats.log").toFile()).start();
            Map<String, String> env = Map.of("TMIDB_PG_BINDIR", pg.toString(), "TMIDB_DATA_DIR", data.toString(),
                    "TMIDB_NATS_URL", "nats://127.0.0.1:" + natsPort, "TMIDB_GATEWAY_PORT", String.valueOf(freePort()),
                    "TMIDB_S3_PORT", String.valueOf(freePort()));
            assertEquals(0, run(home, env, "tmidbd", "init", "-p", String.valueOf(freePort())).exitCode());
            Command start = run(home, env, "tmidbd", "start");
            assertEquals(0, start.exitCode(), start.output());
            try {
                // the relay is up: its cursor row is in the node's database
                awaitSql(home, env, "tmidb", "SELECT count(*) FROM tmi.relay_cursor WHERE name = 'nats'", "1");
                // the backup: the demo data set in another database of the node
                assertEquals(0, run(home, env, "tmictl", "psql", "--", "-c", "CREATE DATABASE demo").exitCode());
                Command demo = run(home, env, "tmictl", "psql", "-d", "demo", "--", "-q", "-v", "ON_ERROR_STOP=1",
                        "-c", "CREATE EXTENSION tmidb CASCADE", "-f", home.resolve("share/demo.sql").toString(),
                        // a relay cursor in the backup: the row a relay writing its own would collide with
                        "-c", "SELECT tmi.advance_relay_cursor('nats', 0)");
                assertEquals(0, demo.exitCode(), demo.output());
                Path backup = base.resolve("backup");
                Command b = run(home, env, "tmictl", "backup", "-d", "demo", backup.toString());
                assertEquals(0, b.exitCode(), b.output());
                String expected = sql(home, env, "demo", COUNTS);

                Map<String, String> before = parts(run(home, env, "tmictl", "status").output());
                for (int round = 1; round <= 10; round++) {
                    List<String> args = new ArrayList<>(List.of("restore", backup.toString()));
                    if (round > 1) {
                        args.add("--replace");
                    }
                    Command r = run(home, env, "tmictl", args.toArray(String[]::new));
                    assertEquals(0, r.exitCode(), "round " + round + ": " + r.output());
                    String out = r.output();
                    int held = out.indexOf("restore: holding the node's worker (and its relay) and gateway off the database");
                    int verified = out.indexOf("restore: verified ");
                    int resumed = out.indexOf("restore: the node's services resume");
                    assertTrue(held >= 0 && held < verified && verified < resumed, "round " + round + ": " + out);
                    assertEquals(round > 1, out.contains("restore: replacing database tmidb"), out);
                    assertEquals(expected, sql(home, env, "tmidb", COUNTS), "round " + round);

                    // the worker and the gateway run again, as new processes, and nothing counts as a crash
                    Map<String, String> now = awaitParts(home, env, before);
                    assertNotEquals(before.get("worker"), now.get("worker"));
                    before = now;
                }
                // the relay works on the restored database: a new event reaches its cursor
                assertEquals(0, run(home, env, "tmictl", "psql", "--", "-c",
                        "SELECT tmi.add_target('after restore', 'probe', '{}', 'P1')").exitCode());
                awaitSql(home, env, "tmidb", "SELECT last_event_id = (SELECT max(event_id) FROM tmi.event_log)"
                        + " FROM tmi.relay_cursor WHERE name = 'nats'", "t");
                Command status = run(home, env, "tmictl", "status");
                assertTrue(status.output().contains("gateway     running"), status.output());
                assertTrue(!status.output().contains("hold "), status.output());
            } finally {
                Command stop = run(home, env, "tmidbd", "stop");
                assertEquals(0, stop.exitCode(), stop.output());
            }
        } finally {
            if (nats != null) {
                nats.destroy();
                nats.waitFor(30, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(base)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The pids of the running worker and gateway, once both run again with no restart counted. */
    private static Map<String, String> awaitParts(Path home, Map<String, String> env, Map<String, String> before) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String status = run(home, env, "tmictl", "status").output();
            Map<String, String> now = parts(status);
            if (now.size() == 2) {
                Matcher m = PART.matcher(status);
                while (m.find()) {
                    assertEquals("0", m.group(3), "a held part is not a crashed one: " + status);
                }
                return now;
            }
            assertTrue(System.nanoTime() < deadline, "the worker and the gateway did not run again: " + status + " (before: " + before + ")");
            Thread.sleep(250);
        }
    }

    private static Map<String, String> parts(String status) {
        Map<String, String> pids = new java.util.HashMap<>();
        Matcher m = PART.matcher(status);
        while (m.find()) {
            pids.put(m.group(1), m.group(2));
        }
        return pids;
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Command run(Path home, Map<String, String> env, String program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin").resolve(program).toString()));
        cmd.addAll(List.of(args));
        return Command.run(cmd, env, TIMEOUT);
    }

    private static String sql(Path home, Map<String, String> env, String db, String sql) throws Exception {
        Command c = run(home, env, "tmictl", "psql", "-d", db, "--", "-A", "-t", "-c", sql);
        assertEquals(0, c.exitCode(), c.output());
        return c.output().strip();
    }

    private static void awaitSql(Path home, Map<String, String> env, String db, String sql, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String got;
        do {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + sql + " = " + expected);
            Thread.sleep(250);
            got = sql(home, env, db, sql);
        } while (!got.equals(expected));
    }
}
