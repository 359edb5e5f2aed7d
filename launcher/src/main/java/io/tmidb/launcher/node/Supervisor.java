// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import io.tmidb.launcher.Node;
import io.tmidb.launcher.cluster.Cluster;
import io.tmidb.launcher.cluster.ClusterException;
import io.tmidb.launcher.cluster.ExtensionFiles;
import io.tmidb.launcher.cluster.ServerUser;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * {@code tmidbd run}: brings up the whole node and keeps it up — the server (started through a
 * link named tmidbd, so that is what ps shows), the tmidb extension, then nats-server, the
 * embedded object store (unless an external one is set, see {@link EmbeddedS3}), tmidb-worker and the
 * gateway where they are installed — restarts a crashed part with backoff, and
 * on SIGTERM stops the parts and then the server (fast shutdown). It records its pid and the
 * state of each part in the data directory for {@code tmidbd stop} and {@code status}.
 */
public final class Supervisor {
    public static final String PID_FILE = "tmidbd.pid";
    public static final String STATUS_FILE = "tmidbd.status";
    private static final Logger LOG = Logger.getLogger(Supervisor.class.getName());
    private static final String WORKER_MAIN = "io.tmidb.worker.WorkerMain";
    private static final String GATEWAY_MAIN = "io.tmidb.gateway.GatewayMain";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Cluster cluster;
    private final ServerUser user;
    private final String database;
    private final Optional<String> natsUrl;
    private final int gatewayPort;
    private final ObjectStoreOptions objects;
    private final List<Child> parts = new ArrayList<>();
    private volatile boolean stopping;

    public Supervisor(Cluster cluster, ServerUser user, String database, Optional<String> natsUrl, int gatewayPort,
                      ObjectStoreOptions objects) {
        this.objects = objects;
        this.cluster = cluster;
        this.user = user;
        this.database = database;
        this.natsUrl = natsUrl;
        this.gatewayPort = gatewayPort;
    }

    /** Runs until the process is asked to stop; prints the banner once the whole node is up. */
    public void run(PrintWriter out) throws Exception {
        Path dir = cluster.dataDir();
        Files.writeString(dir.resolve(PID_FILE), ProcessHandle.current().pid() + "\n");
        Thread main = Thread.currentThread();
        java.util.concurrent.CountDownLatch down = new java.util.concurrent.CountDownLatch(1);
        // SIGTERM: let the main thread shut the node down, and wait for it (not for the thread: it may go on to exit)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            main.interrupt();
            try {
                down.await(2, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            ExtensionFiles.install(cluster.installation());
            Child server = new Child("server", user.wrap(List.of(serverLink().toString(), "-D", dir.toString())),
                    Map.of("PGAPPNAME", Cluster.CORE_APP_NAME), cluster.logFile());
            parts.add(server);
            server.start();
            awaitServer(server);
            boolean timescale;
            try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME)) {
                timescale = Node.timescaleLoaded(c);
            }
            Node.prepareDatabase(cluster, database, timescale);
            startServices();
            Node.logBanner(cluster, database);
            out.println(Node.BANNER);
            out.flush();
            writeStatus(true);
            while (!stopping) {
                for (Child part : parts) {
                    part.tend();
                }
                writeStatus(true);
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            LOG.info("stopping the node");
        } finally {
            Thread.interrupted(); // the interrupt asked us to stop; shutting down must be able to wait
            shutDown();
            down.countDown();
        }
    }

    private void startServices() throws IOException, SQLException {
        Path logDir = cluster.logFile().getParent();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("java.class.path");
        Map<String, String> dbEnv = new java.util.HashMap<>(Map.of(
                "TMIDB_DB_URL", cluster.jdbcUrl(database),
                "TMIDB_DB_USER", Cluster.SUPERUSER,
                "TMIDB_DB_PASSWORD", cluster.superuserPassword()));
        Optional<String> nats = natsUrl.or(() -> natsServerBinary().map(bin -> {
            Path store = cluster.dataDir().resolveSibling("nats");
            parts.add(new Child("nats", List.of(bin, "-js", "-sd", store.toString(), "-a", "127.0.0.1", "-p", "4222"),
                    Map.of(), logDir.resolve("nats.log")));
            return "nats://127.0.0.1:4222";
        }));
        nats.ifPresent(url -> dbEnv.put("TMIDB_NATS_URL", url));
        Map<String, String> storeEnv = objectStore(java, logDir);
        if (loadable(WORKER_MAIN)) {
            parts.add(new Child("worker", List.of(java, "-cp", classpath, WORKER_MAIN), dbEnv, logDir.resolve("worker.log")));
        }
        if (loadable(GATEWAY_MAIN)) {
            // a fresh password each start, handed over in the environment (not on a command line ps shows)
            String password = Cluster.newPassword();
            Node.prepareAuthenticator(cluster, database, password);
            Map<String, String> gatewayEnv = new java.util.HashMap<>(dbEnv);
            gatewayEnv.put("TMIDB_DB_USER", Node.AUTHENTICATOR);
            gatewayEnv.put("TMIDB_DB_PASSWORD", password);
            gatewayEnv.putAll(storeEnv);
            // explicit: the node's own TMIDB_PORT (the server's) must not become the gateway's port
            parts.add(new Child("gateway", List.of(java, "-cp", classpath, GATEWAY_MAIN, "--port=" + gatewayPort,
                    "--db-url=" + cluster.jdbcUrl(database)), gatewayEnv, logDir.resolve("gateway.log")));
        }
        for (Child part : parts.subList(1, parts.size())) {
            part.start();
            if (part.name.equals("s3")) {
                awaitPort(part, objects.embeddedPort());
            }
        }
    }

    /**
     * The embedded object store as a part of the node unless an external endpoint is set; answers
     * the gateway's settings for the store in use (none when neither is available).
     */
    private Map<String, String> objectStore(String java, Path logDir) {
        if (objects.external()) {
            LOG.info(() -> "files in the external object store " + objects.endpoint());
            return objects.gatewayEnv(null);
        }
        Optional<Path> lib = EmbeddedS3.lib();
        if (lib.isEmpty()) {
            LOG.warning("the embedded object store is not installed (lib/s3server) and no s3-endpoint is set: files are off");
            return Map.of();
        }
        Path dir = cluster.dataDir();
        EmbeddedS3.Credentials keys = EmbeddedS3.credentials(dir);
        parts.add(new Child("s3", EmbeddedS3.command(java, lib.get(), dir.resolve(EmbeddedS3.PROPERTIES_FILE),
                dir.resolve(EmbeddedS3.STORE_DIR), objects.embeddedPort(), keys), Map.of(), logDir.resolve("s3.log")));
        return objects.gatewayEnv(keys);
    }

    /** Waits until {@code part} accepts connections on {@code port} (the gateway creates its bucket at start). */
    private static void awaitPort(Child part, int port) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && part.alive()) {
            try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        LOG.warning(() -> part.name + " does not accept connections on port " + port + "; the gateway retries its store");
    }

    /** Services first, in reverse start order, then the server with a fast shutdown. */
    private void shutDown() {
        try {
            for (int i = parts.size() - 1; i >= 1; i--) {
                parts.get(i).stop(Duration.ofSeconds(20));
            }
            cluster.stop();
            if (!parts.isEmpty()) {
                parts.get(0).stop(Duration.ofSeconds(60));
            }
            writeStatus(false);
            Files.deleteIfExists(cluster.dataDir().resolve(PID_FILE));
            LOG.info("node stopped");
        } catch (IOException | RuntimeException e) {
            LOG.warning(() -> "stopping the node: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A link named tmidbd to the postgres program: PostgreSQL resolves links to find its files. */
    private Path serverLink() throws IOException {
        Path bin = cluster.dataDir().resolveSibling("bin");
        Files.createDirectories(bin);
        user.own(bin);
        Path link = bin.resolve("tmidbd");
        Path tmp = bin.resolve("tmidbd.new");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, Path.of(cluster.installation().program("postgres")));
        Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return link;
    }

    private void awaitServer(Child server) throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.alive()) {
                throw new ClusterException("the server exited during start-up:\n" + cluster.logTail(),
                        "Read " + cluster.logFile() + "; a port in use is fixed with --port (TMIDB_PORT).");
            }
            try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME)) {
                return;
            } catch (SQLException e) {
                Thread.sleep(200);
            }
        }
        throw new ClusterException("the server did not accept connections within " + READY_TIMEOUT.toSeconds() + " s",
                "Read " + cluster.logFile() + ".");
    }

    private void writeStatus(boolean ready) throws IOException {
        StringBuilder sb = new StringBuilder(ready ? "ready\n" : "stopped\n");
        parts.forEach(p -> sb.append(p.statusLine()).append('\n'));
        Path tmp = cluster.dataDir().resolve(STATUS_FILE + ".new");
        Files.writeString(tmp, sb);
        Files.move(tmp, cluster.dataDir().resolve(STATUS_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean loadable(String className) {
        try {
            Class.forName(className, false, Supervisor.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static Optional<String> natsServerBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
            Path p = Path.of(dir, "nats-server");
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }
}
