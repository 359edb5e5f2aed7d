// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.launcher.Node;
import io.tmidb.launcher.cluster.Cluster;
import io.tmidb.launcher.cluster.ExtensionFiles;
import io.tmidb.launcher.cluster.PgInstallation;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;

/** {@code tmidbd}: creates, starts, stops and reports on a tmiDB node. */
@Command(name = "tmidbd", mixinStandardHelpOptions = true, version = "tmidbd " + Node.VERSION,
        description = "The tmiDB server launcher.",
        subcommands = {TmidbdCommand.Init.class, TmidbdCommand.Start.class, TmidbdCommand.Stop.class,
                TmidbdCommand.Status.class})
public final class TmidbdCommand {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return ExitCodes.configure(new CommandLine(new TmidbdCommand()));
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create a data directory: a PostgreSQL cluster configured for tmiDB.")
    static final class Init implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PgInstallation pg = node.installation();
            Cluster cluster = Cluster.create(node.dataDir(), node.port, pg, node.serverUser());
            cluster.init(Node.serverSettings(pg));
            ExtensionFiles.install(pg);
            spec.commandLine().getOut().printf("tmidbd: created %s (port %d)%ntmidbd: start it with: tmidbd start -D %s%n",
                    cluster.dataDir(), cluster.port(), cluster.dataDir());
            return ExitCodes.OK;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start the node: the server, then the tmidb extension in its database.")
    static final class Start implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws SQLException {
            Cluster cluster = node.openCluster();
            ExtensionFiles.install(cluster.installation());
            cluster.start();
            boolean timescale;
            try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME)) {
                timescale = Node.timescaleLoaded(c);
            }
            Node.prepareDatabase(cluster, node.database, timescale);
            Node.logBanner(cluster, node.database);
            PrintWriter out = spec.commandLine().getOut();
            out.println(Node.BANNER);
            out.printf("tmidbd: database %s on localhost:%d, log %s%ntmidbd: connect with: tmictl psql -D %s%n",
                    node.database, cluster.port(), cluster.logFile(), cluster.dataDir());
            return ExitCodes.OK;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the node (fast shutdown).")
    static final class Stop implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Cluster cluster = node.openCluster();
            boolean wasRunning = cluster.isRunning();
            cluster.stop();
            spec.commandLine().getOut().println(wasRunning ? "tmidbd: stopped" : "tmidbd: was not running");
            return ExitCodes.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Report whether the node runs, and the state of each tmiDB subsystem. Exit code 3 when stopped.")
    static final class Status implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws SQLException {
            Cluster cluster = node.openCluster();
            PrintWriter out = spec.commandLine().getOut();
            if (!cluster.isRunning()) {
                out.printf("server      stopped  %s%n", cluster.dataDir());
                return ExitCodes.NOT_RUNNING;
            }
            out.printf("server      running  localhost:%d %s%n", cluster.port(), cluster.dataDir());
            try (Connection c = cluster.connect(node.database, Cluster.CORE_APP_NAME);
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT subsystem, state, detail FROM tmi.status()")) {
                while (rs.next()) {
                    out.printf("%-11s %-8s %s%n", rs.getString(1), rs.getString(2), rs.getString(3));
                }
            }
            return ExitCodes.OK;
        }
    }
}
