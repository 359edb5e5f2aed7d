// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ClusterException;
import io.tmidb.cluster.Node;
import io.tmidb.launcher.node.NodeHold;
import io.tmidb.launcher.node.ObjectStoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tmictl restore DIR}: a backup into the node's database, which must be new (no tmiDB data
 * yet) unless {@code --replace} is given, then a check of every table against the backup's
 * manifest. Triggers do not fire while the rows are loaded (session_replication_role = replica),
 * so restored rows make no new events. Into a running node, its services that use the database
 * are held off it from before it is recreated until the restored data is verified ({@link NodeHold}).
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a backup made by 'tmictl backup' into this node's (new) database and verify it.")
final class RestoreCommand implements Callable<Integer> {
    @Mixin NodeOptions node;
    @Mixin StoreOptions store;
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "A directory written by 'tmictl backup'.")
    Path dir;

    @Option(names = "--replace", description = "Replace the database even though it holds tmiDB data (which is lost).")
    boolean replace;

    @Override
    public Integer call() throws Exception {
        Path dump = dir.resolve(BackupCommand.DUMP);
        Path manifest = dir.resolve(BackupCommand.MANIFEST);
        if (!Files.exists(dump) || !Files.exists(manifest)) {
            throw new ClusterException(dir + " is not a tmiDB backup (no " + BackupCommand.DUMP + " or " + BackupCommand.MANIFEST + ")",
                    "Name a directory written by 'tmictl backup'.");
        }
        Cluster cluster = node.openCluster();
        PrintWriter out = spec.commandLine().getOut();
        String db = node.database;
        if (holdsData(cluster, db)) {
            if (!replace) {
                out.flush();
                spec.commandLine().getErr().println("tmictl: error: database " + db + " already holds tmiDB data");
                spec.commandLine().getErr().println("tmictl: hint: restore into a new node, name another database with --database,"
                        + " or replace this one's data with --replace");
                return ExitCodes.NOT_RUNNING;
            }
            out.printf("restore: replacing database %s and the tmiDB data it holds%n", db);
        }
        // the node's own services would write into the new database before the data is in (the relay its cursor)
        try (NodeHold hold = NodeHold.acquire(cluster.dataDir(), TmidbdCommand.supervisorPid(cluster).isPresent(), out, "restore")) {
            restore(cluster, db, out);
        }
        return ExitCodes.OK;
    }

    /** Recreates the database, loads the backup, verifies every table, then restores the files. */
    private void restore(Cluster cluster, String db, PrintWriter out) throws Exception {
        Path dump = dir.resolve(BackupCommand.DUMP);
        Path manifest = dir.resolve(BackupCommand.MANIFEST);
        try (Connection c = cluster.connect("postgres", TmictlCommand.CLI_APP_NAME); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + Node.quoteIdentifier(db) + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + Node.quoteIdentifier(db));
        }
        boolean timescale = listsTimescale(cluster, dump);
        if (timescale) {
            try (Connection c = cluster.connect(db, TmictlCommand.CLI_APP_NAME); Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION timescaledb");
                st.execute("SELECT timescaledb_pre_restore()");
            }
        }
        List<String> restore = new java.util.ArrayList<>(List.of("pg_restore", "--verbose", "--exit-on-error", "--dbname=" + db));
        Path list = null;
        try {
            if (timescale) {
                // TimescaleDB's own metadata (install time, uuid) belongs to this server, not to the backup
                list = Files.createTempFile("tmidb-restore", ".list");
                Files.write(list, toc(cluster, dump).stream().filter(l -> !l.contains("TABLE DATA _timescaledb_catalog metadata")).toList());
                restore.add("--use-list=" + list);
            }
            restore.add(dump.toString());
            // a database whose ts_obs is natively partitioned although TimescaleDB is there (tmictl storage
            // migrate --to partitions): CREATE EXTENSION must make the partitions' parent, not a hypertable
            String options = "-c session_replication_role=replica"
                    + (timescale && nativeStorage(cluster, dump) ? " -c tmi.ts_obs_storage=partitions" : "");
            BackupCommand.runClient(cluster, db, out, "restore", restore, "processing data for table ",
                    Map.of("PGOPTIONS", options));
        } finally {
            if (list != null) {
                Files.deleteIfExists(list);
            }
        }
        try (Connection c = cluster.connect(db, TmictlCommand.CLI_APP_NAME); Statement st = c.createStatement()) {
            if (timescale) {
                st.execute("SELECT timescaledb_post_restore()");
            }
            List<String> expected = Files.readAllLines(manifest);
            List<String> actual = BackupCommand.Manifest.of(c);
            if (!expected.equals(actual)) {
                throw new ClusterException("the restored database differs from the backup's manifest: expected " + expected
                        + ", found " + actual, "Check the restore output above; the backup may be damaged.");
            }
            out.printf("restore: verified %d tables (row counts and checksums match the backup)%n", expected.size());
        }
        FileBackup.restore(cluster.dataDir(), ObjectStoreOptions.of(ConfigDefaults.of(spec)), dir, out);
    }

    private static boolean holdsData(Cluster cluster, String db) throws Exception {
        try (Connection c = cluster.connect("postgres", TmictlCommand.CLI_APP_NAME);
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, db);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
            }
        }
        try (Connection c = cluster.connect(db, TmictlCommand.CLI_APP_NAME); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT to_regclass('tmi.target') IS NOT NULL"
                     + " AND (EXISTS (SELECT 1 FROM tmi.target) OR EXISTS (SELECT 1 FROM tmi.raw_bucket))")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Whether the archive's ts_obs is natively partitioned: it holds the rows of its default partition. */
    private static boolean nativeStorage(Cluster cluster, Path dump) throws Exception {
        return toc(cluster, dump).stream().anyMatch(l -> l.contains("TABLE DATA tmi ts_obs_default"));
    }

    private static boolean listsTimescale(Cluster cluster, Path dump) throws Exception {
        return toc(cluster, dump).stream().anyMatch(l -> l.contains("EXTENSION - timescaledb"));
    }

    /** The archive's table of contents (pg_restore --list). */
    private static List<String> toc(Cluster cluster, Path dump) throws Exception {
        Process p = new ProcessBuilder(cluster.installation().program("pg_restore"), "--list", dump.toString())
                .redirectErrorStream(true).start();
        String toc = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new ClusterException("cannot read " + dump + ": " + toc.strip(), "Name a directory written by 'tmictl backup'.");
        }
        return toc.lines().toList();
    }
}
