// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.launcher.cli.TmictlCommand;
import io.tmidb.launcher.cli.TmidbdCommand;
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
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    private Path home;
    private int port;
    /** The embedded object store's port (not the default: other nodes may run on this machine). */
    private int s3Port;

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
        // this module's build only: whatever else an earlier build left in packaging/ stays out
        home = base.resolve("home");
        BuildHome.create(home);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (ServerSocket s = new ServerSocket(0)) {
            s3Port = s.getLocalPort();
        }
    }

    @AfterAll
    void removeBase() throws Exception {
        run("tmidbd", "stop", "-D", dataDir.toString());
        BuildHome.deleteTree(base);
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
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("s3.credentials"))),
                "the embedded store's key pair is made at init and readable by the node only");

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
        String owner = ps(postmasterPid(), "user");
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
    void tmictlMappingPreviewRunsTheStoredLogicOutsideTheServer() throws Exception {
        String rule = "{\"iterate\": \"$[*]\", \"kind\": \"sensor\", \"key\": \"$.id\","
                + " \"fields\": {\"t\": {\"path\": \"$.t\", \"type\": \"number\"}}}";
        Path ruleFile = base.resolve("rule.json");
        Files.writeString(ruleFile, rule);
        Result r = run("tmictl", "mapping", "preview", "-D", dataDir.toString(), "--rule", "@" + ruleFile,
                "--document", "[{\"id\": \"a\", \"t\": 1.5}, {\"id\": \"b\", \"t\": \"x\"}]");
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("\"item 2: field \\\"t\\\" at $.t: \\\"x\\\" is not a number\""), r.output);
        assertTrue(r.output.contains("\"t\": 1.5"), r.output);
        Result bad = run("tmictl", "mapping", "preview", "-D", dataDir.toString(), "--rule", "{\"kind\": \"x\"}", "--document", "{}");
        assertEquals(ExitCodes.ERROR, bad.exitCode, bad.output);
        assertTrue(bad.output.contains("tmictl: error: mapping rule: key must be a JSON path (SQLSTATE 22023)"), bad.output);
        assertTrue(bad.output.contains("tmictl: hint: "), bad.output);
    }

    @Test
    @Order(6)
    void theServerAppearsAsTmidbdAndARestartFollowsACrash() throws Exception {
        long pid = postmasterPid();
        assertEquals("tmidbd", ps(pid, "comm"));
        assertTrue(ps(pid, "args").startsWith(base.resolve("cluster/bin/tmidbd") + " -D "), ps(pid, "args"));
        new ProcessBuilder("kill", "-9", String.valueOf(pid)).start().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            assertTrue(System.nanoTime() < deadline, "the server was not restarted");
            Thread.sleep(200);
            if (Files.exists(dataDir.resolve("postmaster.pid")) && postmasterPid() != pid
                    && run("tmictl", "psql", "-D", dataDir.toString(), "--", "-c", "SELECT 1").exitCode == 0) {
                break;
            }
        }
        assertTrue(Files.readString(dataDir.resolve("tmidbd.status")).contains("server      running"));
    }

    @Test
    @Order(7)
    void aConfigurationFileNamesTheNodeAndUnknownKeysAreRefused() throws Exception {
        Path conf = base.resolve("tmidb.conf");
        Files.writeString(conf, "# test node\ndata-dir = " + dataDir + "\n");
        Result status = runWith(Map.of("TMIDB_CONFIG", conf.toString()), "tmidbd", "status");
        assertEquals(0, status.exitCode, status.output);
        assertTrue(status.output.contains("server      running  localhost:" + port), status.output);
        Files.writeString(conf, "data-dir = " + dataDir + "\nshared-buffers = 4GB\n");
        Result bad = runWith(Map.of("TMIDB_CONFIG", conf.toString()), "tmidbd", "status");
        assertEquals(ExitCodes.ERROR, bad.exitCode, bad.output);
        assertTrue(bad.output.contains("line 2: unknown key 'shared-buffers'"), bad.output);
    }

    @Test
    @Order(7)
    void aNodeStartsWithTheWorkersSettingsInItsFileAndABadOneIsOneLine() throws Exception {
        Path conf = base.resolve("node.conf");
        Files.writeString(conf, "data-dir = " + dataDir + "\n# let connectors reach the intranet\nconnector-allow-private = true\n");
        Map<String, String> env = Map.of("TMIDB_CONFIG", conf.toString());
        assertEquals(0, run("tmidbd", "stop", "-D", dataDir.toString()).exitCode);
        Result start = runWith(env, "tmidbd", "start");
        assertEquals(0, start.exitCode, start.output);
        assertTrue(start.output.contains(Node.BANNER), start.output);
        Result config = runWith(env, "tmictl", "config", "--program", "tmidb-worker");
        assertEquals(0, config.exitCode, config.output);
        assertTrue(config.output.lines().anyMatch(l -> l.matches("connector-allow-private +true +" + conf + ":3 +tmictl,tmidb-worker")),
                config.output);

        Files.writeString(conf, "data-dir = " + dataDir + "\nconnector-allow-private = yes please\n");
        Result refused = runWith(env, "tmidbd", "start");
        assertEquals(ExitCodes.ERROR, refused.exitCode, refused.output);
        assertEquals("tmidbd: error: connector-allow-private must be true or false, got 'yes please' (" + conf + ":2)\n",
                refused.output);
    }

    @Test
    @Order(8)
    void backupRestoresIntoAFreshNodeWithEveryRowAndChecksum() throws Exception {
        Path demo = Path.of("..", "packaging", "demo.sql").toAbsolutePath().normalize();
        assertEquals(0, run("tmictl", "psql", "-D", dataDir.toString(), "--", "-q", "-f", demo.toString()).exitCode);
        Path backup = base.resolve("backup");
        Result b = run("tmictl", "backup", "-D", dataDir.toString(), backup.toString());
        assertEquals(0, b.exitCode, b.output);
        assertTrue(b.output.contains("backup: tmi.target"), b.output);
        assertTrue(b.output.contains("backup: files: 0 objects"), b.output);
        assertTrue(Files.exists(backup.resolve("tmi_db.conf")));
        assertEquals(ExitCodes.ERROR, run("tmictl", "backup", "-D", dataDir.toString(), backup.toString()).exitCode);

        Path other = base.resolve("cluster/other");
        int otherPort;
        try (ServerSocket s = new ServerSocket(0)) {
            otherPort = s.getLocalPort();
        }
        assertEquals(0, run("tmidbd", "init", "-D", other.toString(), "-p", String.valueOf(otherPort)).exitCode);
        int otherS3;
        try (ServerSocket s = new ServerSocket(0)) {
            otherS3 = s.getLocalPort();
        }
        assertEquals(0, run("tmidbd", "start", "-D", other.toString(), "--s3-port", String.valueOf(otherS3)).exitCode);
        try {
            Result r = run("tmictl", "restore", "-D", other.toString(), backup.toString());
            assertEquals(0, r.exitCode, r.output);
            assertTrue(r.output.contains("restore: verified "), r.output);
            assertTrue(r.output.contains("restore: files: verified 0 objects"), r.output);
            String counts = "SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (VALUES ('target', (SELECT count(*) FROM tmi.target)),"
                    + " ('ts_obs', (SELECT count(*) FROM tmi.ts_obs)), ('geo_trace', (SELECT count(*) FROM tmi.geo_trace)),"
                    + " ('raw_bucket', (SELECT count(*) FROM tmi.raw_bucket)), ('events', (SELECT count(*) FROM tmi.event_log))) v (t, n)";
            assertEquals(run("tmictl", "psql", "-D", dataDir.toString(), "--", "-A", "-t", "-c", counts).output,
                    run("tmictl", "psql", "-D", other.toString(), "--", "-A", "-t", "-c", counts).output);
            // a node with data is never overwritten
            Result again = run("tmictl", "restore", "-D", other.toString(), backup.toString());
            assertEquals(ExitCodes.NOT_RUNNING, again.exitCode, again.output);
            assertTrue(again.output.contains("already holds tmiDB data"), again.output);
        } finally {
            run("tmidbd", "stop", "-D", other.toString());
        }
    }

    @Test
    @Order(9)
    void listenersAndInstallIntoAnotherDatabaseThroughTmictl() throws Exception {
        assertEquals(0, run("tmictl", "listener", "add", "-D", dataDir.toString(), "ops").exitCode);
        Result sub = run("tmictl", "listener", "subscribe", "-D", dataDir.toString(), "ops", "bike", "--fields", "battery,speed_kmh");
        assertEquals(0, sub.exitCode, sub.output);
        Result list = run("tmictl", "listener", "list", "-D", dataDir.toString());
        assertTrue(list.output.contains("ops") && list.output.contains("battery,speed_kmh"), list.output);
        String token = run("tmictl", "token", "issue", "-D", dataDir.toString(), "tmi_listener", "ops", "--ttl", "10 minutes").output.strip();
        assertEquals(3, token.split("\\.").length, token);
        // console-token: an admin's token by default, a listener's with --listener, and the console's address
        List<String> admin = run("tmictl", "console-token", "-D", dataDir.toString(), "--gateway-port", "3999").output.lines().toList();
        assertTrue(claims(admin.get(0)).contains("\"role\": \"tmi_admin\""), admin.toString());
        assertEquals("Console: http://localhost:3999/console/ (paste the token above; tmi_admin, valid for 8 hours)", admin.get(1));
        List<String> ops = run("tmictl", "console-token", "-D", dataDir.toString(), "--listener", "ops", "--ttl", "1 hour")
                .output.lines().toList();
        assertTrue(claims(ops.get(0)).contains("\"listener\": \"ops\""), ops.toString());
        assertTrue(ops.get(1).endsWith("(paste the token above; tmi_listener ops, valid for 1 hour)"), ops.toString());
        Result anon = run("tmictl", "console-token", "-D", dataDir.toString(), "--role", "tmi_anon");
        assertEquals(ExitCodes.USAGE, anon.exitCode, anon.output);
        assertTrue(anon.output.contains("--role must be tmi_admin or tmi_speaker") && anon.output.contains("--listener NAME"), anon.output);
        Result nobody = run("tmictl", "console-token", "-D", dataDir.toString(), "--listener", "nobody");
        assertEquals(ExitCodes.ERROR, nobody.exitCode, nobody.output);
        assertTrue(nobody.output.contains("(SQLSTATE 42704)") && !nobody.output.contains("Console:"), nobody.output);
        Result unknown = run("tmictl", "listener", "subscribe", "-D", dataDir.toString(), "nobody", "bike");
        assertEquals(ExitCodes.ERROR, unknown.exitCode, unknown.output);
        assertTrue(unknown.output.contains("(SQLSTATE 42704)") && unknown.output.contains("hint:"), unknown.output);

        // install: the extension into a server the user names, created in a database of it
        assertEquals(0, run("tmictl", "psql", "-D", dataDir.toString(), "--", "-c", "CREATE DATABASE elsewhere").exitCode);
        Result install = runWith(Map.of("PGPASSFILE", dataDir.resolve("tmidb.pgpass").toString()), "tmictl", "install",
                "--pg-bindir", pgBin.toString(), "--create-in", "postgresql://postgres@localhost:" + port + "/elsewhere");
        assertEquals(0, install.exitCode, install.output);
        assertTrue(install.output.contains("install: extension files in") && install.output.contains(" 0.2"), install.output);
        assertEquals(List.of("0.2"), run("tmictl", "psql", "-D", dataDir.toString(), "-d", "elsewhere", "--", "-A", "-t", "-c",
                "SELECT extversion FROM pg_extension WHERE extname = 'tmidb'").output.lines().toList());
    }

    /** A JWT's claims as the database wrote them (jsonb's text: "key": value). */
    private static String claims(String jwt) {
        return new String(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
    }

    @Test
    @Order(10)
    void statusReportsEachSubsystemThenStopStopsIt() throws Exception {
        Result status = run("tmidbd", "status", "-D", dataDir.toString());
        assertEquals(0, status.exitCode, status.output);
        // with no nats-url configured, the node runs nats-server itself when it is installed
        if (Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "nats-server")))) {
            assertTrue(status.output.contains("nats        running"), status.output);
        }
        Result tmictl = run("tmictl", "status", "-D", dataDir.toString());
        assertEquals(0, tmictl.exitCode, tmictl.output);
        assertTrue(tmictl.output.startsWith(status.output), tmictl.output);
        assertTrue(tmictl.output.contains("gateway     url      http://localhost:3000/"), tmictl.output);
        assertEquals("tmiDB 0.2 (extension tmidb 0.2, Java 17)", run("tmictl", "version").output.strip());
        assertTrue(status.output.contains("s3          running"), "the embedded object store: " + status.output);
        // the store runs as the server user: a replica's base backup reads its objects in the data directory as that user
        UserPrincipal owner = Files.getOwner(dataDir);
        try (Stream<Path> objects = Files.walk(dataDir.resolve("objects"))) {
            objects.forEach(p -> assertEquals(owner, owner(p), p + " belongs to the data directory's owner"));
        }
        assertFalse(status.output.contains(Files.readString(dataDir.resolve("s3.credentials")).lines()
                .filter(l -> l.startsWith("secret-key")).findFirst().orElseThrow().split("= ")[1]), "no secret in the status");
        for (String part : List.of("server      running", "host        ok       tmidb 0.2, stored logic on the worker host",
                "queue", "extension   ok", "storage", "geo", "raw_bucket", "connectors", "relay")) {
            assertTrue(status.output.contains(part), status.output);
        }
        Result stop = run("tmidbd", "stop", "-D", dataDir.toString());
        assertEquals(0, stop.exitCode, stop.output);
        Result stopped = run("tmidbd", "status", "-D", dataDir.toString());
        assertEquals(ExitCodes.NOT_RUNNING, stopped.exitCode, stopped.output);
        assertTrue(stopped.output.startsWith("server      stopped"), stopped.output);
    }

    @Test
    @Order(11)
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

    private long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
    }

    private static String ps(long pid, String field) throws IOException {
        return new String(new ProcessBuilder("ps", "-o", field + "=", "-p", String.valueOf(pid)).start()
                .getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    private Result run(String program, String... args) throws IOException, InterruptedException {
        return runWith(Map.of(), program, args);
    }

    private Result runWith(Map<String, String> env, String program, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve(program).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("TMIDB_PG_BINDIR", pgBin.toString());
        pb.environment().put("TMIDB_HOME", home.toString());
        pb.environment().put("TMIDB_S3_PORT", String.valueOf(s3Port));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), program + " timed out");
        return new Result(p.exitValue(), out);
    }

    private static UserPrincipal owner(Path p) {
        try {
            return Files.getOwner(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
