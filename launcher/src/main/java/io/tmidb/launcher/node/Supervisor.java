// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ClusterException;
import io.tmidb.cluster.EmbeddedNats;
import io.tmidb.cluster.EmbeddedS3;
import io.tmidb.cluster.ExtensionFiles;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.ServerUser;
import io.tmidb.settings.Service;
import io.tmidb.settings.Setting;
import io.tmidb.settings.Settings;

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
 * on SIGTERM stops the parts and then the server (fast shutdown). A streaming replica's node is its
 * server alone until it is promoted (see {@link #replica}). It records its pid and the
 * state of each part in the data directory for {@code tmidbd stop} and {@code status}.
 */
public final class Supervisor {
    public static final String PID_FILE = "tmidbd.pid";
    public static final String STATUS_FILE = "tmidbd.status";
    /** The first word of the status file's line that says a replica's services are off. */
    public static final String SERVICES_OFF = "services";
    private static final Logger LOG = Logger.getLogger(Supervisor.class.getName());
    private static final String WORKER_MAIN = "io.tmidb.worker.WorkerMain";
    private static final String GATEWAY_MAIN = "io.tmidb.gateway.GatewayMain";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Cluster cluster;
    private final ServerUser user;
    private final String database;
    private final Optional<String> natsUrl;
    private final Settings settings;
    private final ObjectStoreOptions objects;
    private final List<Child> parts = new ArrayList<>();
    private final NodeHold.Keeper hold = new NodeHold.Keeper();
    /**
     * A streaming replica runs its server alone: the worker writes (and relays events, which its
     * primary's worker does), the gateway logs in with a password set at each start, which a
     * read-only copy of the primary's roles cannot take, and nats-server and the object store
     * serve the primary's services. Once promoted (tmictl promote), it is a primary node, and
     * the supervisor starts those services.
     */
    private boolean replica;
    private volatile boolean stopping;

    /**
     * @param natsUrl  NATS for the event relay when one is configured; empty: the node runs nats-server
     * @param settings tmidbd's settings; the worker and the gateway get those given on its command
     *                 line and resolve the others (environment, tmidb.conf) themselves
     */
    public Supervisor(Cluster cluster, ServerUser user, String database, Optional<String> natsUrl, Settings settings) {
        this.cluster = cluster;
        this.user = user;
        this.database = database;
        this.natsUrl = natsUrl;
        this.settings = settings;
        this.objects = ObjectStoreOptions.of(settings);
        this.replica = cluster.isReplica();
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
        EngineWatch engines = new EngineWatch(cluster, settings.getBoolean(Setting.ENGINE_RESTART));
        try {
            ExtensionFiles.install(cluster.installation());
            engines.beforeStart(out);
            Child server = new Child("server", user.wrap(List.of(serverLink().toString(), "-D", dir.toString())),
                    Map.of("PGAPPNAME", Cluster.CORE_APP_NAME), cluster.logFile());
            parts.add(server);
            server.start();
            awaitServer(server);
            if (!replica) {
                prepareDatabase();
                startServices();
            }
            Node.logBanner(cluster, database);
            out.println(Node.BANNER);
            out.flush();
            writeStatus(true);
            while (!stopping) {
                for (Child part : parts) {
                    part.tend();
                }
                if (engines.restartDue()) {
                    restartServer(server);
                }
                if (replica && !cluster.isReplica()) {
                    LOG.info("the replica was promoted: starting the services of a primary node");
                    replica = false;
                    prepareDatabase();
                    startServices();
                }
                if (!replica) {
                    hold.tend(dir, parts, this::prepareDatabase);
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

    private void prepareDatabase() throws SQLException {
        boolean timescale;
        try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME)) {
            timescale = Node.timescaleLoaded(c);
        }
        Node.prepareDatabase(cluster, database, timescale);
    }

    /** The server restarted to load an engine, its services stopped first and started again after. */
    private void restartServer(Child server) throws Exception {
        for (int i = parts.size() - 1; i >= 1; i--) {
            parts.get(i).stop(Duration.ofSeconds(20));
        }
        cluster.stop();
        server.stop(Duration.ofSeconds(60));
        server.start();
        awaitServer(server);
        if (!replica) {
            prepareDatabase();
        }
        for (Child part : parts.subList(1, parts.size())) {
            part.start();
        }
        LOG.info("the server restarted with its new settings");
    }

    private void startServices() throws IOException, SQLException {
        Path logDir = cluster.logFile().getParent();
        Map<String, String> workerEnv = new java.util.HashMap<>();
        if (natsUrl.isEmpty()) {
            natsServerBinary().ifPresent(bin -> workerEnv.putAll(natsServer(bin, logDir)));
        }
        Map<String, String> storeEnv = objectStore(logDir);
        if (loadable(WORKER_MAIN)) {
            // its own login with a fresh password each start, in the environment, not on a command line that
            // ps shows; the store's settings too (its janitor)
            workerEnv.putAll(storeEnv);
            String password = Cluster.newPassword();
            Node.prepareWorker(cluster, database, password);
            workerEnv.put(Setting.DB_PASSWORD.envName(), password);
            parts.add(new Child("worker", childCommand(WORKER_MAIN, Service.WORKER, Node.WORKER), workerEnv,
                    logDir.resolve("worker.log")));
        }
        if (loadable(GATEWAY_MAIN)) {
            // a fresh password each start
            String password = Cluster.newPassword();
            Node.prepareAuthenticator(cluster, database, password);
            Map<String, String> gatewayEnv = new java.util.HashMap<>(storeEnv);
            gatewayEnv.put(Setting.DB_PASSWORD.envName(), password);
            parts.add(new Child("gateway", childCommand(GATEWAY_MAIN, Service.GATEWAY, Node.AUTHENTICATOR), gatewayEnv,
                    logDir.resolve("gateway.log")));
        }
        for (Child part : parts.subList(1, parts.size())) {
            part.start();
            if (part.name.equals("s3")) {
                awaitPort(part, objects.embeddedPort());
            }
        }
    }

    /**
     * The node's own nats-server as a part of the node, with authentication (see {@link EmbeddedNats});
     * answers the worker's relay URL, with the publisher's credentials, for its environment (not its
     * command line, which ps shows).
     */
    private Map<String, String> natsServer(String bin, Path logDir) {
        Path dir = cluster.dataDir();
        int port = settings.getInt(Setting.NATS_PORT);
        EmbeddedNats.Credentials keys = EmbeddedNats.credentials(dir);
        Path conf = EmbeddedNats.writeConfig(dir, port, EmbeddedNats.storeDir(dir, port), keys);
        parts.add(new Child("nats", List.of(bin, "-c", conf.toString()), Map.of(), logDir.resolve("nats.log")));
        return Map.of(Setting.NATS_URL.envName(), keys.publisherUrl(port));
    }

    /**
     * The embedded object store as a part of the node unless an external endpoint is set; answers
     * the settings of the gateway and the worker for the embedded store, in their environment (none
     * for an external store: they read those settings as tmidbd did).
     */
    private Map<String, String> objectStore(Path logDir) {
        if (objects.external()) {
            LOG.info(() -> "files in the external object store " + objects.endpoint());
            return Map.of();
        }
        Optional<Path> lib = EmbeddedS3.lib();
        if (lib.isEmpty()) {
            LOG.warning("the embedded object store is not installed (lib/s3server) and no s3-endpoint is set: files are off");
            return Map.of();
        }
        Path dir = cluster.dataDir();
        EmbeddedS3.Credentials keys = EmbeddedS3.credentials(dir);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path store = dir.resolve(EmbeddedS3.STORE_DIR);
        List<String> command = EmbeddedS3.command(java, lib.get(), dir.resolve(EmbeddedS3.PROPERTIES_FILE), store,
                objects.embeddedPort(), keys);
        // the store runs as the server user, like the server: its objects are in the data directory,
        // which a replica's base backup reads as that user (objects stored by a root-run store before are handed over)
        user.ownTree(store);
        parts.add(new Child("s3", user.wrap(command), Map.of(), logDir.resolve("s3.log")));
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

    /**
     * A service's JVM on this one's class path: the node's database and the role to log in as, and
     * the settings given on tmidbd's command line that the service reads. It inherits tmidbd's
     * environment (so {@code TMIDB_CONFIG} too) and resolves everything else as tmidbd did.
     */
    private List<String> childCommand(String mainClass, Service service, String dbUser) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), mainClass,
                "--db-url=" + cluster.jdbcUrl(database), "--db-user=" + dbUser));
        cmd.addAll(settings.commandLineFor(service));
        return cmd;
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
        hold.statusLine().ifPresent(l -> sb.append(l).append('\n'));
        if (replica) {
            sb.append(String.format("%-11s %-8s a replica runs its server alone: no worker, gateway, nats-server or object store%n",
                    SERVICES_OFF, "off"));
        }
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
