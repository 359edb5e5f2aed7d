// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.launcher.cli.TmictlCommand;
import io.tmidb.launcher.cli.TmidbdCommand;
import io.tmidb.launcher.cluster.Cluster;
import io.tmidb.launcher.cluster.PgInstallation;
import io.tmidb.launcher.cluster.ServerUser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tmidbd and tmictl as an operator uses them: the shipped scripts in packaging/bin, run as
 * processes against a new data directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TmidbdIT {
    private static final Path BIN = Path.of("..", "packaging", "bin").toAbsolutePath().normalize();
    private Path base;
    private Path dataDir;
    private Path pgBin;
    private int port;

    @BeforeAll
    void createBase() throws IOException {
        base = Files.createTempDirectory("tmidbd-it-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        // a private installation: the test installs the extension without touching the system's
        pgBin = PgInstallation.locate(Optional.empty()).isolatedCopy(base.resolve("pg")).binDir();
        Path cluster = base.resolve("cluster");
        Files.createDirectories(cluster);
        ServerUser.forCurrentProcess("postgres").own(cluster);
        dataDir = cluster.resolve("data");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
    }

    @AfterAll
    void removeBase() throws Exception {
        run("tmidbd", "stop", "-D", dataDir.toString());
        try (Stream<Path> files = Files.walk(base)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    @Order(1)
    void initCreatesAConfiguredCluster() throws Exception {
        Result r = run("tmidbd", "init", "-D", dataDir.toString(), "-p", String.valueOf(port));
        assertEquals(0, r.exitCode, r.output);
        String conf = Files.readString(dataDir.resolve(Cluster.CONF_FILE));
        assertTrue(conf.contains("cluster_name = 'tmidb'"), conf);
        assertTrue(conf.contains("port = " + port), conf);
        assertTrue(Files.readString(dataDir.resolve("postgresql.conf")).contains("include_if_exists = 'tmi_db.conf'"));

        Result again = run("tmidbd", "init", "-D", dataDir.toString());
        assertEquals(ExitCodes.ERROR, again.exitCode, again.output);
        assertTrue(again.output.contains("hint: Start it with 'tmidbd start"), again.output);
    }

    @Test
    @Order(2)
    void startPrintsAndLogsTheBannerOnceTheServerAcceptsConnections() throws Exception {
        Result r = run("tmidbd", "start", "-D", dataDir.toString());
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains(Node.BANNER), r.output);
        String log = Files.readString(dataDir.resolve("log/tmidb.log"));
        assertTrue(log.contains(Cluster.CORE_APP_NAME + " LOG:  " + Node.BANNER), log);
        assertTrue(log.indexOf("ready to accept connections") < log.indexOf(Node.BANNER), log);
    }

    @Test
    @Order(3)
    void serverRunsAsAnUnprivilegedUserWithTheExtensionCreated() throws Exception {
        Cluster cluster = Cluster.open(dataDir, PgInstallation.locate(Optional.of(pgBin)), ServerUser.forCurrentProcess("postgres"));
        try (Connection c = cluster.connect(Node.DEFAULT_DATABASE, "tmiDB-Test"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('cluster_name'), "
                     + "(SELECT extversion FROM pg_extension WHERE extname = 'tmidb'), pg_postmaster_start_time() IS NOT NULL")) {
            rs.next();
            assertEquals("tmidb", rs.getString(1));
            assertEquals(Node.VERSION, rs.getString(2));
        }
        long pid = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
        String owner = new String(new ProcessBuilder("ps", "-o", "user=", "-p", String.valueOf(pid)).start()
                .getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (ServerUser.forCurrentProcess("postgres").switchesUser()) {
            assertEquals("postgres", owner);
        } else {
            assertEquals(System.getProperty("user.name"), owner);
        }
    }

    @Test
    @Order(4)
    void tmictlPsqlUsesTheTmidbPromptAndApplicationName() throws Exception {
        Result r = run("tmictl", "psql", "-D", dataDir.toString(), "--", "-A", "-t",
                "-c", "\\echo :PROMPT1",
                "-c", "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
        assertEquals(0, r.exitCode, r.output);
        assertEquals(List.of("tmiDB:%/%R%# ", "tmiDB-CLI"), r.output.lines().toList());
    }

    @Test
    @Order(4)
    void tmictlStatusShowsTheRelayLag() throws Exception {
        Cluster cluster = Cluster.open(dataDir, PgInstallation.locate(Optional.of(pgBin)), ServerUser.forCurrentProcess("postgres"));
        try (Connection c = cluster.connect(Node.DEFAULT_DATABASE, "tmiDB-Test"); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Relay probe', 'probe', '{}', 'relay-probe')");
            st.execute("SELECT tmi.advance_relay_cursor('nats', 0)");
        }
        StringWriter out = new StringWriter();
        CommandLine cmd = TmictlCommand.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertEquals(ExitCodes.OK, cmd.execute("status", "-D", dataDir.toString(), "--pg-bindir", pgBin.toString()), out::toString);
        assertTrue(out.toString().lines().anyMatch(l -> l.matches("relay +ok +nats: 1 events, [0-9.]+ s behind")), out.toString());
        try (Connection c = cluster.connect(Node.DEFAULT_DATABASE, "tmiDB-Test"); Statement st = c.createStatement()) {
            st.execute("DELETE FROM tmi.relay_cursor");
        }
    }

    @Test
    @Order(5)
    void statusReportsEachSubsystemThenStopStopsIt() throws Exception {
        Result status = run("tmidbd", "status", "-D", dataDir.toString());
        assertEquals(0, status.exitCode, status.output);
        for (String part : List.of("server      running", "extension   ok", "storage", "geo", "raw_bucket", "connectors", "relay")) {
            assertTrue(status.output.contains(part), status.output);
        }
        Result stop = run("tmidbd", "stop", "-D", dataDir.toString());
        assertEquals(0, stop.exitCode, stop.output);
        Result stopped = run("tmidbd", "status", "-D", dataDir.toString());
        assertEquals(ExitCodes.NOT_RUNNING, stopped.exitCode, stopped.output);
        assertTrue(stopped.output.startsWith("server      stopped"), stopped.output);
    }

    @Test
    @Order(6)
    void commandsOnAMissingDataDirectoryNameTheFix() {
        StringWriter err = new StringWriter();
        CommandLine cmd = TmidbdCommand.commandLine();
        cmd.setErr(new PrintWriter(err));
        assertEquals(ExitCodes.ERROR, cmd.execute("start", "-D", base.resolve("nothing-here").toString(),
                "--pg-bindir", pgBin.toString()));
        assertTrue(err.toString().contains("hint: Create one with 'tmidbd init -D"), err.toString());
    }

    private record Result(int exitCode, String output) {
    }

    private Result run(String program, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve(program).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("TMIDB_PG_BINDIR", pgBin.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), program + " timed out");
        return new Result(p.exitValue(), out);
    }
}
