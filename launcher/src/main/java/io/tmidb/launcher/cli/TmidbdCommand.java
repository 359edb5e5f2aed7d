// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ClusterException;
import io.tmidb.cluster.EmbeddedNats;
import io.tmidb.cluster.EmbeddedS3;
import io.tmidb.cluster.Node;
import io.tmidb.launcher.node.EngineWatch;
import io.tmidb.launcher.node.Supervisor;
import io.tmidb.settings.Origin;
import io.tmidb.settings.Service;
import io.tmidb.settings.Setting;
import io.tmidb.settings.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code tmidbd}: creates, starts, stops and reports on a tmiDB node. */
@Command(name = "tmidbd", mixinStandardHelpOptions = true, version = "tmidbd " + Node.VERSION,
        description = "The tmiDB server launcher.",
        subcommands = {TmidbdCommand.Init.class, TmidbdCommand.Run.class, TmidbdCommand.Start.class,
                TmidbdCommand.Stop.class, TmidbdCommand.Status.class})
public final class TmidbdCommand {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return commandLine(System::getenv);
    }

    /** tmidbd's command line over the environment {@code env}. */
    public static CommandLine commandLine(java.util.function.Function<String, String> env) {
        return ExitCodes.configure(new CommandLine(new TmidbdCommand()), Service.TMIDBD, env);
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create a data directory: a PostgreSQL cluster configured for tmiDB, or with --replica-of a"
                    + " streaming replica of a running tmiDB node.")
    static final class Init implements Callable<Integer> {
        private static final java.util.regex.Pattern HOST_PORT = java.util.regex.Pattern.compile("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+]):(\\d{1,5})");
        @Mixin NodeOptions node;
        @CommandLine.Option(names = "--replica-of", paramLabel = "HOST:PORT",
                description = "Make a streaming replica of the tmiDB node at HOST:PORT (its server's port) instead of a new node.")
        String replicaOf;
        @CommandLine.Option(names = "--replication-slot", paramLabel = "NAME",
                description = "With --replica-of: the slot 'tmictl replication credentials --slot NAME' made on the primary.")
        String slot;
        @CommandLine.Option(names = "--replication-password-file", paramLabel = "FILE",
                description = "With --replica-of: a file holding the password that command printed, alone.")
        Path passwordFile;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (replicaOf != null || slot != null || passwordFile != null) {
                return initReplica();
            }
            Cluster cluster = node.initCluster();
            EmbeddedS3.credentials(cluster.dataDir());
            EmbeddedNats.credentials(cluster.dataDir());
            spec.commandLine().getOut().printf("tmidbd: created %s (port %d)%ntmidbd: start it with: tmidbd start -D %s%n",
                    cluster.dataDir(), cluster.port(), cluster.dataDir());
            return ExitCodes.OK;
        }

        private int initReplica() throws IOException {
            if (replicaOf == null || slot == null || passwordFile == null) {
                throw new ClusterException("a replica needs --replica-of, --replication-slot and --replication-password-file",
                        "Run 'tmictl replication credentials --slot NAME > FILE' on the primary, then"
                                + " 'tmidbd init --replica-of HOST:PORT --replication-slot NAME --replication-password-file FILE'.");
            }
            java.util.regex.Matcher m = HOST_PORT.matcher(replicaOf);
            if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
                throw new ClusterException("--replica-of '" + replicaOf + "' is not HOST:PORT",
                        "Name the primary's host and its server's port, e.g. db1.example.com:5432 or [2001:db8::1]:5432.");
            }
            if (!Files.isReadable(passwordFile)) {
                throw new ClusterException("cannot read the password file " + passwordFile,
                        "Write the password 'tmictl replication credentials' printed on the primary into it.");
            }
            String host = m.group(1).startsWith("[") ? m.group(1).substring(1, m.group(1).length() - 1) : m.group(1);
            int primaryPort = Integer.parseInt(m.group(2));
            Cluster cluster = node.initReplica(host, primaryPort, slot, Files.readString(passwordFile).strip());
            spec.commandLine().getOut().printf("tmidbd: created %s (port %d), a streaming replica of %s through slot %s%n"
                    + "tmidbd: start it with: tmidbd start -D %s%n", cluster.dataDir(), cluster.port(), replicaOf, slot, cluster.dataDir());
            return ExitCodes.OK;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the node in the foreground (for systemd): the server, the extension, tmidb-worker, the gateway"
                    + " and nats-server where installed; restart crashed parts; stop everything on SIGTERM."
                    + " Creates the cluster first if the data directory has none.")
    static final class Run implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Mixin ServiceOptions services;
        @Mixin StoreOptions store;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // a service's first start creates its cluster
            Cluster cluster = Files.exists(node.dataDir().resolve("PG_VERSION")) ? node.openCluster() : node.initCluster();
            if (supervisorPid(cluster).isPresent()) {
                throw new ClusterException("the node in " + cluster.dataDir() + " is already running",
                        "See 'tmidbd status -D " + cluster.dataDir() + "'.");
            }
            Settings settings = ConfigDefaults.of(spec);
            // not set anywhere: the node runs nats-server itself
            Optional<String> natsUrl = settings.value(Setting.NATS_URL).filter(v -> !(v.origin() instanceof Origin.Default))
                    .map(Settings.Value::value);
            new Supervisor(cluster, node.serverUser(), node.database, natsUrl, settings).run(spec.commandLine().getOut());
            return ExitCodes.OK;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start the node in the background ('tmidbd run', detached) and wait until it is ready.")
    static final class Start implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Mixin ServiceOptions services;
        @Mixin StoreOptions store;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Cluster cluster = node.openCluster();
            PrintWriter out = spec.commandLine().getOut();
            if (supervisorPid(cluster).isPresent()) {
                out.println("tmidbd: already running");
                return ExitCodes.OK;
            }
            EngineWatch.writeMissing(cluster, out);
            Path log = cluster.logFile().resolveSibling("tmidbd.log");
            List<String> cmd = new ArrayList<>(List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), TmidbdCommand.class.getName(), "run",
                    "-D", cluster.dataDir().toString(), "--pg-bindir", cluster.installation().binDir().toString()));
            // the rest of its command line; run resolves the environment and the file itself, as this command did
            ConfigDefaults.of(spec).commandLineFor(Service.TMIDBD).stream()
                    .filter(o -> !o.startsWith("--data-dir=") && !o.startsWith("--pg-bindir=")).forEach(cmd::add);
            Files.deleteIfExists(cluster.dataDir().resolve(Supervisor.STATUS_FILE));
            Process run = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            Path status = cluster.dataDir().resolve(Supervisor.STATUS_FILE);
            while (!(Files.exists(status) && Files.readString(status).startsWith("ready"))) {
                if (!run.isAlive() || System.nanoTime() > deadline) {
                    throw new ClusterException("the node did not start: " + tail(log),
                            "Read " + log + " and " + cluster.logFile() + ".");
                }
                Thread.sleep(100);
            }
            out.println(Node.BANNER);
            out.printf("tmidbd: database %s on localhost:%d, log %s%ntmidbd: connect with: tmictl psql -D %s%n",
                    node.database, cluster.port(), cluster.logFile().getParent(), cluster.dataDir());
            return ExitCodes.OK;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the node: its services, then the server (fast shutdown).")
    static final class Stop implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Cluster cluster = node.openCluster();
            Optional<ProcessHandle> supervisor = supervisorPid(cluster);
            boolean wasRunning = supervisor.isPresent() || cluster.isRunning();
            if (supervisor.isPresent()) {
                supervisor.get().destroy();
                supervisor.get().onExit().get(3, java.util.concurrent.TimeUnit.MINUTES);
            }
            cluster.stop();
            spec.commandLine().getOut().println(wasRunning ? "tmidbd: stopped" : "tmidbd: was not running");
            return ExitCodes.OK;
        }
    }

    /** The running supervisor of this node, from its pid file. */
    static Optional<ProcessHandle> supervisorPid(Cluster cluster) throws IOException {
        Path pidFile = cluster.dataDir().resolve(Supervisor.PID_FILE);
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))
                .filter(ProcessHandle::isAlive)
                // (its command line is too long to read back whole: it names every jar)
                .filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(true));
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Report whether the node runs, and the state of each tmiDB subsystem. Exit code 3 when stopped.")
    static final class Status implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws SQLException, IOException {
            return NodeReport.print(node.openCluster(), node.database, Cluster.CORE_APP_NAME, spec.commandLine().getOut());
        }
    }
}
