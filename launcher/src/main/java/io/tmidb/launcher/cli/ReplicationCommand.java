// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ClusterException;
import io.tmidb.cluster.EmbeddedNats;
import io.tmidb.cluster.EmbeddedS3;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.ServerUser;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tmictl replication ...}: what a primary gives its streaming replicas (docs/operations.md, "Replicas"). */
@Command(name = "replication", mixinStandardHelpOptions = true, description = "Streaming replicas of this node.",
        subcommands = {ReplicationCommand.Credentials.class, ReplicationCommand.DropSlot.class})
final class ReplicationCommand {
    /** The primary's replication password, kept so that asking again does not lock its replicas out. */
    static final String CREDENTIALS_FILE = "replication.credentials";

    @Command(name = "credentials", mixinStandardHelpOptions = true,
            description = "On the primary: create or update the replication login " + Cluster.REPLICATOR + " and the slot,"
                    + " allow replication connections from --allow-from, and print the password alone (for a file the"
                    + " replica's 'tmidbd init --replica-of' reads).")
    static final class Credentials implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Option(names = "--slot", required = true, paramLabel = "NAME",
                description = "The replica's replication slot (1 to 63 lower-case letters, digits or '_'); one per replica.")
        String slot;
        @Option(names = "--allow-from", paramLabel = "ADDRESS/BITS", defaultValue = "127.0.0.1/32",
                description = "Network the replica connects from, for pg_hba.conf (default: ${DEFAULT-VALUE}).")
        String allowFrom;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Cluster cluster = node.openCluster();
            Cluster.requireSlotName(slot);
            if (cluster.isReplica()) {
                throw new ClusterException("the node in " + cluster.dataDir() + " is a replica",
                        "Run this on its primary: a replica does not give replicas of its own.");
            }
            if (!cluster.isRunning()) {
                throw new ClusterException("the node in " + cluster.dataDir() + " is not running",
                        "Start it with 'tmidbd start -D " + cluster.dataDir() + "'.");
            }
            // the credentials of nodes made before they were the server user's: a base backup must read them
            for (String file : List.of(EmbeddedNats.CREDENTIALS_FILE, EmbeddedS3.CREDENTIALS_FILE)) {
                if (Files.exists(cluster.dataDir().resolve(file))) {
                    ServerUser.ownLikeItsDirectory(cluster.dataDir().resolve(file));
                }
            }
            String password = password(cluster);
            boolean newSlot = Node.prepareReplicator(cluster, password, slot);
            boolean local;
            try (Connection c = cluster.connect("postgres", TmictlCommand.CLI_APP_NAME)) {
                String network = cidr(c, allowFrom);
                local = network.startsWith("127.") || network.equals("::1/128");
                allow(c, network);
            }
            PrintWriter err = spec.commandLine().getErr();
            err.printf("tmictl: login %s and %s slot %s on port %d, replication allowed from %s%n", Cluster.REPLICATOR,
                    newSlot ? "the new" : "the existing", slot, cluster.port(), allowFrom);
            if (!local) {
                err.println("tmictl: note: the node listens on " + setting(cluster, "listen_addresses") + " only: set"
                        + " listen_addresses in " + cluster.dataDir().resolve(Cluster.CONF_FILE) + " and restart it for a"
                        + " replica on another machine");
            }
            err.printf("tmictl: on the replica, with this password alone in FILE: tmidbd init --replica-of HOST:%d"
                    + " --replication-slot %s --replication-password-file FILE%n", cluster.port(), slot);
            err.flush();
            spec.commandLine().getOut().println(password);
            return ExitCodes.OK;
        }

        /** The kept password; made at the first call (0600, as the node's other credentials). */
        private String password(Cluster cluster) throws IOException {
            Path file = cluster.dataDir().resolve(CREDENTIALS_FILE);
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            String password = Cluster.newPassword();
            ServerUser.writePrivate(file, password + "\n");
            return password;
        }

        /** {@code text} as PostgreSQL's cidr reads it, or a clear refusal. */
        private static String cidr(Connection c, String text) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::cidr::text")) {
                ps.setString(1, text);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            } catch (SQLException e) {
                throw new ClusterException("--allow-from '" + text + "' is not a network",
                        "Give an address with its prefix length, e.g. 10.0.0.12/32 or 10.0.0.0/24.", e);
            }
        }

        /**
         * Appends the rule for {@code network} to pg_hba.conf when it lacks it, reloads the
         * configuration and fails if the server finds an error in the file.
         */
        private static void allow(Connection c, String network) throws SQLException, IOException {
            Path hba = Path.of(setting(c, "hba_file"));
            List<String> rule = List.of("host", "replication", Cluster.REPLICATOR, network, "scram-sha-256");
            boolean present = Files.readAllLines(hba).stream().map(l -> Arrays.asList(l.strip().split("\\s+"))).anyMatch(rule::equals);
            if (present) {
                return;
            }
            Files.writeString(hba, "# added by tmictl replication credentials: a replica streams from " + network + "\n"
                    + String.join("    ", rule) + "\n", StandardOpenOption.APPEND);
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_reload_conf()");
                try (ResultSet rs = st.executeQuery("SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL")) {
                    if (rs.next()) {
                        throw new ClusterException(hba + " line " + rs.getInt(1) + ": " + rs.getString(2), "Correct the line and run this again.");
                    }
                }
            }
        }

        private static String setting(Cluster cluster, String name) throws SQLException {
            try (Connection c = cluster.connect("postgres", TmictlCommand.CLI_APP_NAME)) {
                return setting(c, name);
            }
        }

        private static String setting(Connection c, String name) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
                ps.setString(1, name);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        }
    }

    @Command(name = "drop-slot", mixinStandardHelpOptions = true,
            description = "On the primary: drop the replication slot of a replica that is gone, so that the primary stops"
                    + " keeping WAL for it. Refused while a replica streams through it.")
    static final class DropSlot implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Parameters(paramLabel = "SLOT") String slot;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Cluster.requireSlotName(slot);
            try (Connection c = node.openCluster().connect("postgres", TmictlCommand.CLI_APP_NAME);
                 PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new ClusterException("there is no replication slot " + slot, "'tmictl status' lists the slots.");
                    }
                    if (rs.getBoolean(1)) {
                        throw new ClusterException("a replica streams through slot " + slot,
                                "Stop that replica first (tmidbd stop on its machine).");
                    }
                }
                try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                    drop.setString(1, slot);
                    drop.execute();
                }
            }
            spec.commandLine().getOut().println("tmictl: dropped replication slot " + slot);
            return ExitCodes.OK;
        }
    }
}
