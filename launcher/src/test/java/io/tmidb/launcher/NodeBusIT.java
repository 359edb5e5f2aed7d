// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
import io.tmidb.cluster.EmbeddedNats;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The event bus of a node as an operator runs it: two nodes on one machine, each with its own
 * ports, nats-server with its users and tmidb-worker relaying to it; subscribers with the URL of
 * {@code tmictl nats credentials} read and cannot publish; a message forged with the publisher's
 * credentials is an alarm in {@code tmictl status}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NodeBusIT {
    private static final Path BIN = Path.of("..", "packaging", "bin").toAbsolutePath().normalize();
    private Path base;
    private Path pgBin;
    private Path home;
    private final List<NodeDir> nodes = new ArrayList<>();

    /** A node's data directory and the settings of its own tmidb.conf: every port its own. */
    private record NodeDir(Path dataDir, int port, int natsPort, Map<String, String> env) {
    }

    @BeforeAll
    void createBase() throws Exception {
        base = Files.createTempDirectory("tmidb-bus-it-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pgBin = PgInstallation.locate(Optional.empty()).isolatedCopy(base.resolve("pg")).binDir();
        Path clusters = Files.createDirectories(base.resolve("cluster"));
        ServerUser.forCurrentProcess("postgres").own(clusters);
        home = base.resolve("home");
        Path lib = BuildHome.create(home);
        // the worker, as an installation has it: its jar and jnats beside the launcher's libraries
        for (Class<?> c : List.of(WorkerMain.class, Nats.class)) {
            Path jar = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertTrue(jar.toString().endsWith(".jar"), "built as a jar: " + jar);
            Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar);
        }
        for (String name : List.of("one", "two")) {
            int port = freePort();
            int nats = freePort();
            Path conf = base.resolve(name + ".conf");
            // no gateway runs here (it is not on this module's class path); its port is set all the same
            Files.writeString(conf, "data-dir = " + clusters.resolve(name) + "\nport = " + port + "\nnats-port = " + nats
                    + "\ns3-port = " + freePort() + "\ngateway-port = " + freePort() + "\n");
            nodes.add(new NodeDir(clusters.resolve(name), port, nats, Map.of("TMIDB_CONFIG", conf.toString())));
        }
    }

    @AfterAll
    void removeBase() throws Exception {
        for (NodeDir n : nodes) {
            run(n, "tmidbd", "stop");
        }
        BuildHome.deleteTree(base);
    }

    @Test
    @Order(1)
    void twoNodesOnOneMachineRunTheirOwnNatsServer() throws Exception {
        for (NodeDir n : nodes) {
            Result init = run(n, "tmidbd", "init");
            assertEquals(0, init.exitCode, init.output);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    n.dataDir.resolve(EmbeddedNats.CREDENTIALS_FILE))), "made at init, readable by the node only");
            Result start = run(n, "tmidbd", "start");
            assertEquals(0, start.exitCode, start.output);
        }
        Thread.sleep(3000); // a nats-server that cannot listen exits at once and shows as down or restarted
        for (NodeDir n : nodes) {
            Result status = run(n, "tmictl", "status");
            assertEquals(0, status.exitCode, status.output);
            assertTrue(status.output.contains("server      running  localhost:" + n.port), status.output);
            assertTrue(status.output.lines().anyMatch(l -> l.matches("nats +running +pid [0-9]+, 0 restarts")), status.output);
            assertTrue(status.output.lines().anyMatch(l -> l.matches("worker +running +pid [0-9]+, 0 restarts")), status.output);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    n.dataDir.resolve(EmbeddedNats.CONFIG_FILE))), "the configuration holds the passwords");
            assertTrue(Files.readString(n.dataDir.resolve(EmbeddedNats.CONFIG_FILE)).contains("listen: 127.0.0.1:" + n.natsPort));
        }
    }

    @Test
    @Order(2)
    void subscribersReadEventsWithTheirCredentialsAndCannotPublish() throws Exception {
        NodeDir n = nodes.get(0);
        Result creds = run(n, "tmictl", "nats", "credentials");
        assertEquals(0, creds.exitCode, creds.output);
        String url = creds.output.strip();
        assertTrue(url.matches("nats://" + EmbeddedNats.SUBSCRIBER + ":[0-9a-f]{48}@127\\.0\\.0\\.1:" + n.natsPort), url);
        // without the node's tmidb.conf: the port its nats-server was started on, not the default
        Result bare = runWith(Map.of(), "tmictl", "nats", "credentials", "-D", n.dataDir.toString());
        assertEquals(url, bare.output.strip(), bare.output);
        // no password on a command line that ps shows
        String publisherPassword = EmbeddedNats.credentials(n.dataDir).publisherPassword();
        String ps = new String(new ProcessBuilder("ps", "-eo", "args").start().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertFalse(ps.contains(publisherPassword), "the publisher's password is in a command line");

        assertEquals(0, run(n, "tmictl", "psql", "--", "-c", "SELECT tmi.add_target('Bus probe', 'probe', '{}', 'bus-1')").exitCode);
        List<String> errors = new CopyOnWriteArrayList<>();
        try (Connection reader = Nats.connect(new Options.Builder().server(url).errorListener(collect(errors)).build())) {
            JetStreamSubscription sub = reader.jetStream().subscribe("tmi.probe.>",
                    PushSubscribeOptions.builder().stream("TMI").ordered(true).build());
            Message m = sub.nextMessage(Duration.ofSeconds(60));
            assertNotNull(m, "the relay published the new target's event");
            assertTrue(new String(m.getData(), StandardCharsets.UTF_8).contains("\"ext_key\": \"bus-1\""));
            reader.publish(m.getSubject(), "{\"forged\": true}".getBytes(StandardCharsets.UTF_8));
            reader.flush(Duration.ofSeconds(5));
        }
        assertTrue(errors.stream().anyMatch(e -> e.contains("Permissions Violation for Publish to \"tmi.probe.")), errors.toString());
        IOException anonymous = assertThrows(IOException.class, () -> Nats.connect(new Options.Builder()
                .server("nats://127.0.0.1:" + n.natsPort).noReconnect().build()));
        assertTrue(String.valueOf(anonymous.getMessage()).contains("Authorization Violation"), anonymous.toString());
    }

    @Test
    @Order(3)
    void aForgedEventIsAnAlarmInTheStatus() throws Exception {
        NodeDir n = nodes.get(0);
        long next = Long.parseLong(run(n, "tmictl", "psql", "--", "-A", "-t", "-c",
                "SELECT coalesce(max(event_id), 0) + 1 FROM tmi.event_log").output.strip());
        // whoever holds the publisher's password (here: read from the data directory) stores the next event first
        try (Connection forger = Nats.connect(EmbeddedNats.credentials(n.dataDir).publisherUrl(n.natsPort))) {
            forger.jetStream().publish("tmi.probe._.target.created", "{}".getBytes(StandardCharsets.UTF_8),
                    PublishOptions.builder().messageId(Long.toString(next)).build());
        }
        assertEquals(0, run(n, "tmictl", "psql", "--", "-c", "SELECT tmi.add_target('Bus probe 2', 'probe', '{}', 'bus-2')").exitCode);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Result status;
        do {
            Thread.sleep(200);
            status = run(n, "tmictl", "status");
        } while (!status.output.contains("relay       alarm") && System.nanoTime() < deadline);
        assertTrue(status.output.contains("relay       alarm    nats: ") && status.output.contains(
                "1 forged messages in its stream, the last in place of event " + next), status.output);
        String workerLog = Files.readString(n.dataDir.resolve("log").resolve("worker.log"));
        assertTrue(workerLog.contains("SEVERE: relay: the stream holds message") && workerLog.contains(
                "with the message id of event " + next + ", which the relay did not publish"), workerLog);
        assertTrue(workerLog.contains("nats-url=nats://***@127.0.0.1:" + n.natsPort + " (environment TMIDB_NATS_URL)"), workerLog);
        assertFalse(workerLog.contains(EmbeddedNats.credentials(n.dataDir).publisherPassword()), "the worker logs its NATS password");
        // the other node's relay, on its own nats-server, saw nothing of it
        Result other = run(nodes.get(1), "tmictl", "status");
        assertTrue(other.output.lines().anyMatch(l -> l.startsWith("relay       ok")), other.output);
    }

    @Test
    @Order(4)
    void aNodeWithAnExternalNatsHasNoCredentialsToGive() throws Exception {
        NodeDir n = nodes.get(1);
        assertEquals(0, run(n, "tmidbd", "stop").exitCode);
        Map<String, String> external = new java.util.HashMap<>(n.env);
        external.put("TMIDB_NATS_URL", "nats://127.0.0.1:" + freePort());
        Result start = runWith(external, "tmidbd", "start");
        assertEquals(0, start.exitCode, start.output);
        Result creds = runWith(external, "tmictl", "nats", "credentials");
        assertEquals(ExitCodes.ERROR, creds.exitCode, creds.output);
        assertTrue(creds.output.contains("runs no nats-server of its own") && creds.output.contains("tmictl: hint: "), creds.output);
    }

    private static ErrorListener collect(List<String> errors) {
        return new ErrorListener() {
            @Override
            public void errorOccurred(Connection conn, String error) {
                errors.add(error);
            }
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private record Result(int exitCode, String output) {
    }

    private Result run(NodeDir node, String program, String... args) throws IOException, InterruptedException {
        return runWith(node.env, program, args);
    }

    private Result runWith(Map<String, String> env, String program, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BIN.resolve(program).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("TMIDB_PG_BINDIR", pgBin.toString());
        pb.environment().put("TMIDB_HOME", home.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), program + " timed out");
        return new Result(p.exitValue(), out);
    }
}
