// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import io.nats.client.Nats;
import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.worker.WorkerMain;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A streaming replica as an operator makes it: a primary node and a replica node on one machine,
 * each with its own ports and data directory, made with the shipped scripts — {@code tmictl
 * replication credentials} on the primary, {@code tmidbd init --replica-of} and {@code tmidbd
 * start} for the replica. What the primary writes appears on the replica, both sides report the
 * replication in {@code tmictl status}, the replica refuses writes, a replica stopped and
 * started again resumes from its slot, and once the primary is stopped, {@code tmictl promote} makes
 * the replica a primary node, which runs its worker and takes writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReplicaIT {
    private static final Path BIN = Path.of("..", "packaging", "bin").toAbsolutePath().normalize();
    private static final String SLOT = "replica1";
    private Path base;
    private Path pgBin;
    private Path home;
    private Node primary;
    private Node replica;
    private Path passwordFile;

    /** A node's data directory, its own tmidb.conf and installation. */
    private record Node(Path dataDir, int port, Map<String, String> env) {
    }

    @BeforeAll
    void createBase() throws Exception {
        base = Files.createTempDirectory("tmidb-replica-it-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pgBin = PgInstallation.locate(Optional.empty()).isolatedCopy(base.resolve("pg")).binDir();
        Path clusters = Files.createDirectories(base.resolve("cluster"));
        ServerUser.forCurrentProcess("postgres").own(clusters);
        home = base.resolve("home");
        BuildHome.create(home);
        // the replica's installation has the worker too (its jar and jnats), which its node runs once promoted
        Path workerHome = base.resolve("worker-home");
        Path lib = BuildHome.create(workerHome);
        for (Class<?> c : List.of(WorkerMain.class, Nats.class)) {
            Path jar = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertTrue(jar.toString().endsWith(".jar"), "built as a jar: " + jar);
            Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
        }
        primary = node(clusters, "primary", home);
        replica = node(clusters, "replica", workerHome);
        passwordFile = base.resolve("replication.password");
    }

    private Node node(Path clusters, String name, Path installation) throws IOException {
        int port = freePort();
        Path conf = base.resolve(name + ".conf");
        Files.writeString(conf, "data-dir = " + clusters.resolve(name) + "\nport = " + port + "\nnats-port = " + freePort()
                + "\ns3-port = " + freePort() + "\ngateway-port = " + freePort() + "\n");
        return new Node(clusters.resolve(name), port, Map.of("TMIDB_CONFIG", conf.toString(), "TMIDB_HOME", installation.toString()));
    }

    @AfterAll
    void removeBase() throws Exception {
        for (Node n : List.of(replica, primary)) {
            run(n, "tmidbd", "stop");
        }
        BuildHome.deleteTree(base);
    }

    @Test
    @Order(1)
    void aReplicaIsMadeFromTheCredentialsOfItsPrimary() throws Exception {
        assertOk(run(primary, "tmidbd", "init"));
        assertOk(run(primary, "tmidbd", "start"));
        assertOk(psql(primary, "SELECT tmi.add_target('Before the replica', 'probe', '{}', 'before')"));

        Result creds = run(primary, "tmictl", "replication", "credentials", "--slot", SLOT);
        assertOk(creds);
        String password = creds.out.strip();
        assertTrue(password.matches("[0-9a-f]{48}"), creds.out);
        assertTrue(creds.err.contains("tmidbd init --replica-of HOST:" + primary.port + " --replication-slot " + SLOT), creds.err);
        // asked again, the same password: replicas made with it keep working
        assertEquals(password, run(primary, "tmictl", "replication", "credentials", "--slot", SLOT).out.strip());
        Files.writeString(passwordFile, password + "\n");

        Result init = run(replica, "tmidbd", "init", "--replica-of", "localhost:" + primary.port, "--replication-slot", SLOT,
                "--replication-password-file", passwordFile.toString());
        assertOk(init);
        assertTrue(init.out.contains("a streaming replica of localhost:" + primary.port + " through slot " + SLOT), init.out);
        assertTrue(Files.exists(replica.dataDir.resolve(Cluster.STANDBY_SIGNAL)));
        String conf = Files.readString(replica.dataDir.resolve(Cluster.CONF_FILE));
        assertTrue(conf.contains("port = " + replica.port) && !conf.contains("port = " + primary.port + "\n"), conf);
        assertFalse(conf.contains(password), "the password is in the replica's configuration");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                replica.dataDir.resolve(Cluster.REPLICATION_PGPASS_FILE))));
        for (String primaryOnly : List.of("replication.credentials", "nats.credentials", "s3.credentials", "tmidbd.pid")) {
            assertFalse(Files.exists(replica.dataDir.resolve(primaryOnly)), primaryOnly + " was copied to the replica");
        }

        Result start = run(replica, "tmidbd", "start");
        assertOk(start);
        assertEquals("1", await(replica, "SELECT count(*) FROM tmi.target WHERE ext_key = 'before'", "1"::equals));
        String ps = new String(new ProcessBuilder("ps", "-eo", "args").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertFalse(ps.contains(password), "the replication password is in a command line");
    }

    @Test
    @Order(2)
    void whatThePrimaryWritesAppearsOnTheReplicaAndBothReportIt() throws Exception {
        assertOk(psql(primary, "SELECT tmi.add_target('While streaming', 'probe', '{}', 'streamed')"));
        assertEquals("1", await(replica, "SELECT count(*) FROM tmi.target WHERE ext_key = 'streamed'", "1"::equals));

        Result onPrimary = awaitStatus(primary, o -> o.lines().anyMatch(l -> l.startsWith("replica     streaming slot " + SLOT + ": ")));
        String line = onPrimary.out.lines().filter(l -> l.startsWith("replica     streaming")).findFirst().orElseThrow();
        assertTrue(line.matches("replica +streaming slot " + SLOT + ": " + SLOT + " from 127\\.0\\.0\\.1, sent [0-9A-F/]+, replayed [0-9A-F/]+,"
                + " replay lag [0-9.]+ s, [0-9]+ bytes behind"), line);

        Result onReplica = awaitStatus(replica, o -> o.contains("replica     streaming replica of localhost:" + primary.port));
        String mine = onReplica.out.lines().filter(l -> l.startsWith("replica ")).findFirst().orElseThrow();
        assertTrue(mine.matches("replica +streaming replica of localhost:" + primary.port + " through slot " + SLOT
                + ", received [0-9A-F/]+, replayed [0-9A-F/]+, replay lag [0-9.]+ s.*"), mine);
        assertTrue(onReplica.out.lines().anyMatch(l -> l.matches("services +off +a replica runs its server alone: .*")), onReplica.out);
        assertFalse(onReplica.out.lines().anyMatch(l -> l.startsWith("worker ") || l.startsWith("nats ") || l.startsWith("s3 ")),
                onReplica.out);
        assertTrue(onReplica.out.contains("host        ok       tmidb 0.2"), onReplica.out);
    }

    @Test
    @Order(3)
    void theReplicaRefusesWritesWithAClearMessage() throws Exception {
        Result write = run(replica, "tmictl", "listener", "add", "written-on-the-replica");
        assertEquals(ExitCodes.ERROR, write.exitCode, write.out + write.err);
        assertTrue(write.err.contains("read-only transaction (SQLSTATE 25006)"), write.err);
        assertTrue(write.err.contains("tmictl: hint: a replica is read-only: write on its primary"), write.err);
        // nothing of it anywhere; what the replica holds is intact
        assertEquals("0", psql(primary, "SELECT count(*) FROM tmi.listener WHERE name = 'written-on-the-replica'").out.strip());
        assertEquals("2", psql(replica, "SELECT count(*) FROM tmi.target WHERE kind = 'probe'").out.strip());

        Result again = run(replica, "tmictl", "replication", "credentials", "--slot", "other");
        assertEquals(ExitCodes.ERROR, again.exitCode, again.out + again.err);
        assertTrue(again.err.contains("is a replica") && again.err.contains("Run this on its primary"), again.err);
    }

    @Test
    @Order(4)
    void aStoppedReplicaResumesFromItsSlot() throws Exception {
        assertOk(run(replica, "tmidbd", "stop"));
        Result away = awaitStatus(primary, o -> o.contains("replica     away     slot " + SLOT + ": no replica connected"));
        assertTrue(away.out.contains("tmictl replication drop-slot " + SLOT), away.out);
        assertOk(psql(primary, "SELECT count(tmi.add_target('While away ' || i, 'probe', '{}', 'away-' || i))"
                + " FROM generate_series(1, 20) i"));
        Result drop = run(primary, "tmictl", "replication", "drop-slot", "no_such_slot");
        assertEquals(ExitCodes.ERROR, drop.exitCode);
        assertTrue(drop.err.contains("there is no replication slot no_such_slot"), drop.err);

        assertOk(run(replica, "tmidbd", "start"));
        assertEquals("22", await(replica, "SELECT count(*) FROM tmi.target WHERE kind = 'probe'", "22"::equals));
        awaitStatus(primary, o -> o.contains("replica     streaming slot " + SLOT));
        String password = Files.readString(passwordFile).strip();
        for (Node n : List.of(primary, replica)) {
            try (var logs = Files.list(n.dataDir.resolve("log"))) {
                for (Path log : logs.toList()) {
                    assertFalse(Files.readString(log).contains(password), "the replication password is in " + log);
                }
            }
        }
        Result busy = run(primary, "tmictl", "replication", "drop-slot", SLOT);
        assertEquals(ExitCodes.ERROR, busy.exitCode);
        assertTrue(busy.err.contains("a replica streams through slot " + SLOT), busy.err);
    }

    @Test
    @Order(5)
    void aReplicaWithABadSlotOrPasswordIsNotMadeAndSaysWhy() throws Exception {
        Path other = replica.dataDir.resolveSibling("other");
        Result badTarget = run(replica, "tmidbd", "init", "-D", other.toString(), "--replica-of", "localhost",
                "--replication-slot", SLOT, "--replication-password-file", passwordFile.toString());
        assertEquals(ExitCodes.ERROR, badTarget.exitCode);
        assertTrue(badTarget.err.contains("--replica-of 'localhost' is not HOST:PORT"), badTarget.err);

        Result noSlot = run(replica, "tmidbd", "init", "-D", other.toString(), "--replica-of", "localhost:" + primary.port,
                "--replication-slot", "missing", "--replication-password-file", passwordFile.toString());
        assertEquals(ExitCodes.ERROR, noSlot.exitCode, noSlot.out + noSlot.err);
        assertTrue(noSlot.err.contains("replication slot \"missing\" does not exist")
                && noSlot.err.contains("tmictl replication credentials --slot missing"), noSlot.err);
        try (var left = Files.list(other)) {
            assertEquals(0, left.count(), "the failed base backup left files behind");
        }

        Path wrong = base.resolve("wrong.password");
        Files.writeString(wrong, "not-the-password\n");
        Result badPassword = run(replica, "tmidbd", "init", "-D", other.toString(), "--replica-of", "localhost:" + primary.port,
                "--replication-slot", SLOT, "--replication-password-file", wrong.toString());
        assertEquals(ExitCodes.ERROR, badPassword.exitCode);
        assertTrue(badPassword.err.contains("password authentication failed for user \"tmidb_replicator\""), badPassword.err);
        // the replica made before still streams
        assertOk(psql(primary, "SELECT tmi.add_target('After the failures', 'probe', '{}', 'after')"));
        assertEquals("1", await(replica, "SELECT count(*) FROM tmi.target WHERE ext_key = 'after'", "1"::equals));
    }

    @Test
    @Order(6)
    void aPromotedReplicaIsAPrimaryNodeWithItsWorker() throws Exception {
        assertOk(psql(primary, "SELECT tmi.add_target('Before the switch', 'probe', '{}', 'switch')"));
        Result notYet = run(primary, "tmictl", "promote");
        assertEquals(ExitCodes.ERROR, notYet.exitCode, notYet.out + notYet.err);
        assertTrue(notYet.err.contains("is not a replica"), notYet.err);
        // a clean stop sends the replica every record the primary wrote
        assertOk(run(primary, "tmidbd", "stop"));

        Result promote = run(replica, "tmictl", "promote");
        assertOk(promote);
        assertTrue(promote.out.contains("is a primary now and follows no one"), promote.out);
        assertTrue(promote.out.lines().anyMatch(l -> l.startsWith("tmictl: tmidbd runs the services of a primary node: ")
                && l.contains("worker")), promote.out);
        assertFalse(Files.exists(replica.dataDir.resolve(Cluster.STANDBY_SIGNAL)));
        assertEquals("1", psql(replica, "SELECT count(*) FROM tmi.target WHERE ext_key = 'switch'").out.strip(),
                "what the primary wrote last is on the promoted replica");
        assertOk(psql(replica, "SELECT tmi.add_target('After the switch', 'probe', '{}', 'promoted')"));
        Result status = awaitStatus(replica, o -> o.lines().anyMatch(l -> l.matches("worker +running +pid [0-9]+, 0 restarts")));
        assertFalse(status.out.contains("replica of") || status.out.contains("services    off"), status.out);
        Result again = run(replica, "tmictl", "promote");
        assertEquals(ExitCodes.ERROR, again.exitCode);
        assertTrue(again.err.contains("is not a replica"), again.err);
    }

    private Result awaitStatus(Node n, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Result status;
        do {
            status = run(n, "tmictl", "status");
            if (status.exitCode == 0 && done.test(status.out)) {
                return status;
            }
            Thread.sleep(300);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("tmictl status did not show it within 60 s:\n" + status.out + status.err);
    }

    /** Runs {@code sql} on the node until its one value passes {@code done}; answers the value. */
    private String await(Node n, String sql, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Result r;
        do {
            r = psql(n, sql);
            if (r.exitCode == 0 && done.test(r.out.strip())) {
                return r.out.strip();
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(sql + " on " + n.dataDir + " did not pass within 60 s: " + r.out + r.err);
    }

    private Result psql(Node n, String sql) throws Exception {
        return run(n, "tmictl", "psql", "--", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql);
    }

    private static void assertOk(Result r) {
        assertEquals(0, r.exitCode, r.out + r.err);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private record Result(int exitCode, String out, String err) {
    }

    private Result run(Node node, String program, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve(program).toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(base, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("TMIDB_PG_BINDIR", pgBin.toString());
        pb.environment().put("TMIDB_HOME", home.toString());
        pb.environment().putAll(node.env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), program + " timed out");
        String errText = Files.readString(err);
        Files.delete(err);
        return new Result(p.exitValue(), out, errText);
    }
}
