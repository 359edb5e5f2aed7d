// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ExtensionFiles;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import io.tmidb.launcher.cli.ExitCodes;
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
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A node created before an engine was installed, as an operator runs it (the shipped scripts,
 * from this build): TimescaleDB "installed" later — its control file hidden from a private copy
 * of the PostgreSQL installation, then shown again — gets its settings at the next start, or while
 * the node runs with a restart announced (or made, with engine-restart); ts_obs then migrates to a
 * hypertable. The stored logic's jar comes with the extension files, and tmi.use_host('pljava')
 * creates PL/Java or says why it cannot. The server binary replaced under the running server (a
 * package update) is reported by tmictl status: simulated in the private copy by a newer file and
 * by a program that reports another version, since this machine's PostgreSQL cannot be upgraded
 * for a test; what is shown is the comparison of the running server with the installed binary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EnginesIT {
    private static final Path BIN = Path.of("..", "packaging", "bin").toAbsolutePath().normalize();
    private static final String PRELOAD = "shared_preload_libraries = 'timescaledb'";
    private Path base;
    private Path dataDir;
    private PgInstallation pg;
    private Path home;
    private Path control;
    private Path hidden;

    @BeforeAll
    void createNode() throws Exception {
        base = Files.createTempDirectory("tmidb-engines-it-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pg = PgInstallation.locate(Optional.empty()).isolatedCopy(base.resolve("pg"));
        control = pg.extensionDir().resolve("timescaledb.control");
        hidden = pg.extensionDir().resolve("timescaledb.control.later");
        Path cluster = Files.createDirectories(base.resolve("cluster"));
        ServerUser.forCurrentProcess("postgres").own(cluster);
        dataDir = cluster.resolve("data");
        // this module's build: the launcher's class path, with the stored logic's jar
        home = base.resolve("home");
        BuildHome.create(home);
    }

    @AfterAll
    void removeBase() throws Exception {
        if (dataDir != null && Files.exists(dataDir)) {
            run(Map.of(), "tmidbd", "stop", "-D", dataDir.toString());
        }
        BuildHome.deleteTree(base);
    }

    @Test
    @Order(1)
    void timescaleInstalledWhileTheNodeRunsIsWrittenAndARestartIsAnnounced() throws Exception {
        assumeTrue(Files.exists(control), "TimescaleDB is not installed in this PostgreSQL");
        Files.move(control, hidden);
        startNode();
        assertFalse(conf().contains("timescaledb"), conf());
        psql("SELECT tmi.observe(tmi.add_target('m' || i, 'meter', '{}', 'M' || i), '2026-11-02 00:00Z', jsonb_build_object('kwh', i))"
                + " FROM generate_series(1, 20) i");
        assertEquals("native", psql("SELECT tmi.storage_mode()"));
        Result missing = run(Map.of(), "tmictl", "storage", "migrate", "-D", dataDir.toString(), "--to", "hypertable");
        assertEquals(ExitCodes.ERROR, missing.exitCode, missing.output);
        assertTrue(missing.output.contains("tmictl: error: TimescaleDB is not installed in this PostgreSQL (SQLSTATE 55000)"),
                missing.output);

        Files.move(hidden, control); // TimescaleDB is installed now
        Result status = await(r -> r.output.contains("settings    restart"), "tmictl", "status", "-D", dataDir.toString());
        assertTrue(status.output.contains("settings    restart  shared_preload_libraries changed in the configuration and take effect"
                + " when the server restarts; restart the node: tmidbd stop, then tmidbd start"), status.output);
        assertTrue(conf().contains("# added by tmidbd, ") && conf().contains(PRELOAD), conf());
        assertTrue(Files.readString(dataDir.resolve("log/tmidbd.log")).contains("TimescaleDB installed: its settings are in tmi_db.conf;"
                + " the server loads it when it restarts"), "the supervisor's log says so");

        // until then, ts_obs cannot become a hypertable, and says why
        Result early = run(Map.of(), "tmictl", "storage", "migrate", "-D", dataDir.toString(), "--to", "hypertable");
        assertEquals(ExitCodes.ERROR, early.exitCode, early.output);
        assertTrue(early.output.contains("tmictl: error: TimescaleDB is installed but the server has not loaded it (SQLSTATE 55000)"),
                early.output);
        assertTrue(early.output.contains("tmictl: hint: Restart the node"), early.output);
        assertEquals("native 20", psql("SELECT tmi.storage_mode() || ' ' || count(*) FROM tmi.ts_obs"));
    }

    @Test
    @Order(2)
    void afterARestartTsObsMigratesToAHypertableWithItsData() throws Exception {
        assumeTrue(Files.exists(control), "TimescaleDB is not installed in this PostgreSQL");
        assertEquals(0, run(Map.of(), "tmidbd", "stop", "-D", dataDir.toString()).exitCode);
        Result start = run(Map.of(), "tmidbd", "start", "-D", dataDir.toString());
        assertEquals(0, start.exitCode, start.output);
        assertFalse(start.output.contains("installed after this node was created"), "nothing is missing any more: " + start.output);
        assertEquals("timescaledb", psql("SHOW shared_preload_libraries"));
        Result status = run(Map.of(), "tmictl", "status", "-D", dataDir.toString());
        assertFalse(status.output.contains("settings    restart"), status.output);

        Result up = run(Map.of(), "tmictl", "storage", "migrate", "-D", dataDir.toString(), "--to", "hypertable");
        assertEquals(0, up.exitCode, up.output);
        assertTrue(up.output.contains("migrate: ts_obs is a TimescaleDB hypertable: 20 rows"), up.output);
        assertEquals("timescaledb 20", psql("SELECT tmi.storage_mode() || ' ' || count(*) FROM tmi.ts_obs"));
        Result down = run(Map.of(), "tmictl", "storage", "migrate", "-D", dataDir.toString(), "--to", "partitions");
        assertEquals(0, down.exitCode, down.output);
        assertEquals("native 20", psql("SELECT tmi.storage_mode() || ' ' || count(*) FROM tmi.ts_obs"));
    }

    @Test
    @Order(3)
    void aNodeCreatedBeforeTimescaleTakesItsSettingsAtStartOrRestartsItselfWhenToldTo() throws Exception {
        assumeTrue(Files.exists(control), "TimescaleDB is not installed in this PostgreSQL");
        assertEquals(0, run(Map.of(), "tmidbd", "stop", "-D", dataDir.toString()).exitCode);
        // as tmidbd init wrote it before TimescaleDB was there
        Files.writeString(dataDir.resolve(Cluster.CONF_FILE), conf().substring(0, conf().indexOf("# added by tmidbd")));
        Result start = run(Map.of(), "tmidbd", "start", "-D", dataDir.toString());
        assertEquals(0, start.exitCode, start.output);
        assertTrue(start.output.contains("tmidbd: TimescaleDB installed after this node was created: its settings are now in "
                + dataDir.resolve(Cluster.CONF_FILE)), start.output);
        assertEquals("timescaledb", psql("SHOW shared_preload_libraries"), "the server started with them");

        // installed while the node runs, with engine-restart: tmidbd restarts the server itself
        assertEquals(0, run(Map.of(), "tmidbd", "stop", "-D", dataDir.toString()).exitCode);
        Files.writeString(dataDir.resolve(Cluster.CONF_FILE), conf().substring(0, conf().indexOf("# added by tmidbd")));
        Files.move(control, hidden);
        Result told = run(Map.of("TMIDB_ENGINE_RESTART", "true"), "tmidbd", "start", "-D", dataDir.toString());
        assertEquals(0, told.exitCode, told.output);
        long pid = postmasterPid();
        assertEquals("", psql("SHOW shared_preload_libraries"));
        Files.move(hidden, control);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!(postmasterPid() != pid && "timescaledb".equals(tryPsql("SHOW shared_preload_libraries")))) {
            assertTrue(System.nanoTime() < deadline, "the server was not restarted with TimescaleDB");
            Thread.sleep(250);
        }
        assertTrue(Files.readString(dataDir.resolve("log/tmidbd.log")).contains("restarting the server to load it (engine-restart = true)"));
        assertEquals("native 20", psql("SELECT tmi.storage_mode() || ' ' || count(*) FROM tmi.ts_obs"));
    }

    @Test
    @Order(4)
    void theStoredLogicJarIsInstalledAndUseHostCreatesPlJavaOrSaysWhyNot() throws Exception {
        startNode();
        Path jar = ExtensionFiles.storedLogicJar(pg);
        assertTrue(Files.isRegularFile(jar), "tmidbd installed " + jar + " with the extension files");
        try (Stream<Path> libs = Files.list(home.resolve("lib"))) {
            Path built = libs.filter(p -> p.getFileName().toString().matches("tmidb-stored-.*\\.jar")).findFirst().orElseThrow();
            assertArrayEquals(Files.readAllBytes(built), Files.readAllBytes(jar), "this build's stored logic");
        }
        Result use = run(Map.of(), "tmictl", "psql", "-D", dataDir.toString(), "--", "-A", "-t", "-c", "SELECT tmi.use_host('pljava')");
        if (pg.hasExtension("pljava")) {
            assertEquals(0, use.exitCode, use.output);
            assertEquals("pljava 1", psql("SELECT tmi.host() || ' ' || count(*) FROM pg_extension WHERE extname = 'pljava'"),
                    "tmi.use_host created the pljava extension");
            assertEquals("worker", psql("SELECT tmi.use_host('worker')"));
        } else {
            assertTrue(use.output.contains("ERROR:  PL/Java is not installed in this PostgreSQL"), use.output);
            assertTrue(use.output.contains("HINT:  Install PL/Java for this PostgreSQL (Debian: postgresql-15-pljava), start the node"
                    + " again (tmidbd writes pljava.libjvm_location), and call tmi.use_host('pljava') again; or keep the worker host."),
                    use.output);
            assertEquals("worker", psql("SELECT tmi.host()"), "the stored logic stays where it ran");
        }
    }

    @Test
    @Order(5)
    void aServerBinaryReplacedUnderTheRunningServerIsReported() throws Exception {
        startNode();
        Path binary = pg.binDir().resolve("postgres");
        Result before = run(Map.of(), "tmictl", "status", "-D", dataDir.toString());
        assertFalse(before.output.contains("binaries"), before.output);
        String running = psql("SHOW server_version");

        // the same version, a newer file: what a rebuilt package leaves
        Path newer = pg.binDir().resolve("postgres.new");
        Files.copy(binary, newer, StandardCopyOption.COPY_ATTRIBUTES);
        Files.setLastModifiedTime(newer, FileTime.from(Instant.now().plusSeconds(5)));
        Files.move(newer, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Result changed = run(Map.of(), "tmictl", "status", "-D", dataDir.toString());
        assertEquals(0, changed.exitCode, changed.output);
        assertTrue(changed.output.lines().anyMatch(l -> l.startsWith("binaries    restart  " + binary + " changed at ")
                && l.endsWith("new sessions may fail to load its libraries; restart the node: tmidbd stop, then tmidbd start")),
                changed.output);

        // another version installed: what a Debian minor update leaves
        Path original = pg.binDir().resolve("postgres.orig");
        Files.move(binary, original);
        Files.writeString(binary, "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'postgres (PostgreSQL) 15.99 (simulated update)'; exit 0; }\n"
                + "exec " + original + " \"$@\"\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        Result updated = run(Map.of(), "tmictl", "status", "-D", dataDir.toString());
        assertTrue(updated.output.contains("binaries    restart  PostgreSQL 15.99 (simulated update) is installed but " + running
                + " runs (updated under the running server)"), updated.output);
        Result tmidbd = run(Map.of(), "tmidbd", "status", "-D", dataDir.toString());
        assertTrue(tmidbd.output.contains("binaries    restart"), tmidbd.output);
        Files.move(original, binary, StandardCopyOption.REPLACE_EXISTING);
    }

    private record Result(int exitCode, String output) {
    }

    /** The node the tests share, made and started by the first test that needs it (TimescaleDB's run where it is installed). */
    private void startNode() throws Exception {
        if (Files.exists(dataDir)) {
            return;
        }
        Result init = run(Map.of(), "tmidbd", "init", "-D", dataDir.toString(), "-p", String.valueOf(freePort()));
        assertEquals(0, init.exitCode, init.output);
        Result start = run(Map.of(), "tmidbd", "start", "-D", dataDir.toString());
        assertEquals(0, start.exitCode, start.output);
    }

    private String conf() throws IOException {
        return Files.readString(dataDir.resolve(Cluster.CONF_FILE));
    }

    private long postmasterPid() throws IOException {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
        } catch (java.nio.file.NoSuchFileException | IndexOutOfBoundsException | NumberFormatException e) {
            return -1;
        }
    }

    private String psql(String sql) throws Exception {
        Result r = run(Map.of(), "tmictl", "psql", "-D", dataDir.toString(), "--", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql);
        assertEquals(0, r.exitCode, sql + ": " + r.output);
        return r.output.strip();
    }

    private String tryPsql(String sql) throws Exception {
        Result r = run(Map.of(), "tmictl", "psql", "-D", dataDir.toString(), "--", "-A", "-t", "-c", sql);
        return r.exitCode == 0 ? r.output.strip() : null;
    }

    private Result await(Predicate<Result> done, String program, String... args) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Result r = run(Map.of(), program, args);
            if (done.test(r)) {
                return r;
            }
            assertTrue(System.nanoTime() < deadline, "timed out: " + r.output);
            Thread.sleep(500);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Result run(Map<String, String> env, String program, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve(program).toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("TMIDB_PG_BINDIR", pg.binDir().toString());
        pb.environment().put("TMIDB_HOME", home.toString());
        pb.environment().put("TMIDB_NATS_URL", ""); // this test is about the server: no relay, no nats-server
        pb.environment().put("TMIDB_S3_PORT", String.valueOf(freePort()));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), program + " timed out");
        return new Result(p.exitValue(), out);
    }
}
