// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ClusterException;
import io.tmidb.launcher.node.ObjectStoreOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tmictl backup DIR}: the node's database (tmiDB schema, data, settings table) as a pg_dump
 * archive, the node's server settings file, a manifest of every tmi table's row count and
 * checksum that {@code tmictl restore} verifies, and the objects of its embedded store (see {@link FileBackup}).
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Back the node up into a new directory: database.pgdump, tmi_db.conf and manifest.tsv.")
final class BackupCommand implements Callable<Integer> {
    static final String DUMP = "database.pgdump";
    static final String MANIFEST = "manifest.tsv";

    @Mixin NodeOptions node;
    @Mixin StoreOptions store;
    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Directory to create; it must not exist yet.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        Cluster cluster = node.openCluster();
        PrintWriter out = spec.commandLine().getOut();
        if (Files.exists(dir)) {
            throw new ClusterException(dir + " exists already", "Name a new directory; a backup never overwrites one.");
        }
        Files.createDirectories(dir);
        try (Connection c = cluster.connect(node.database, TmictlCommand.CLI_APP_NAME)) {
            Files.write(dir.resolve(MANIFEST), Manifest.of(c));
        }
        runClient(cluster, node.database, out, "backup", List.of("pg_dump", "--format=custom", "--verbose",
                "--file=" + dir.resolve(DUMP), node.database), "dumping contents of table ", java.util.Map.of());
        Files.copy(cluster.dataDir().resolve(Cluster.CONF_FILE), dir.resolve(Cluster.CONF_FILE));
        FileBackup.backup(cluster.dataDir(), ObjectStoreOptions.of(ConfigDefaults.of(spec)), dir, out);
        out.printf("backup: %s written (%d tables in the manifest)%n", dir, Files.readAllLines(dir.resolve(MANIFEST)).size());
        return ExitCodes.OK;
    }

    /**
     * Runs pg_dump or pg_restore against the node and shows its progress: each line of its verbose
     * output containing {@code marker} as "label: the rest of the line".
     */
    static void runClient(Cluster cluster, String database, PrintWriter out, String label, List<String> command,
                          String marker, java.util.Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(command);
        cmd.set(0, cluster.installation().program(cmd.get(0)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(cluster.clientEnv(database, TmictlCommand.CLI_APP_NAME));
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                int at = line.indexOf(marker);
                if (at >= 0) {
                    out.println(label + ": " + line.substring(at + marker.length()).replace("\"", ""));
                    out.flush();
                }
                tail.add(line);
                if (tail.size() > 20) {
                    tail.remove(0);
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new ClusterException(Path.of(cmd.get(0)).getFileName() + " failed:\n" + String.join("\n", tail),
                    "Fix the cause shown above and run the command again.");
        }
    }

    /**
     * Row count and checksum of every tmi table but the node's own state (its settings, tmi.config, and what its
     * gateway last saw of its object store, tmi.file_store), in a stable order.
     */
    static final class Manifest {
        private Manifest() {
        }

        static List<String> of(Connection c) throws SQLException {
            List<String> tables = new ArrayList<>();
            try (var st = c.createStatement(); var rs = st.executeQuery("SELECT relname FROM pg_class WHERE relnamespace ="
                    + " 'tmi'::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND relname NOT IN ('config', 'file_store') ORDER BY relname")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            List<String> lines = new ArrayList<>();
            for (String t : tables) {
                try (var st = c.createStatement(); var rs = st.executeQuery("SELECT count(*), md5(coalesce(string_agg(r::text, '|'"
                        + " ORDER BY r::text), '')) FROM tmi." + t + " r")) {
                    rs.next();
                    lines.add(t + "\t" + rs.getLong(1) + "\t" + rs.getString(2));
                }
            }
            return lines;
        }
    }
}
