// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.launcher.node.Supervisor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The state of a node, as {@code tmidbd status} and {@code tmictl status} print it: the server,
 * the supervised services, replication (see {@link ReplicationReport}), the extension and where its stored logic runs, the work waiting for
 * it, then one line per subsystem from tmi.status() (storage, connectors, relay lag, ...).
 */
final class NodeReport {
    private NodeReport() {
    }

    /** Prints the report; returns {@link ExitCodes#NOT_RUNNING} when the server is down. */
    static int print(Cluster cluster, String database, String appName, PrintWriter out) throws SQLException, IOException {
        if (!cluster.isRunning()) {
            out.printf("server      stopped  %s%n", cluster.dataDir());
            return ExitCodes.NOT_RUNNING;
        }
        out.printf("server      running  localhost:%d %s%n", cluster.port(), cluster.dataDir());
        Path status = cluster.dataDir().resolve(Supervisor.STATUS_FILE);
        if (TmidbdCommand.supervisorPid(cluster).isPresent() && Files.exists(status)) {
            Files.readAllLines(status).stream().skip(1).filter(l -> !l.startsWith("server")).forEach(out::println);
        }
        try (Connection c = cluster.connect(database, appName); Statement st = c.createStatement()) {
            ReplicationReport.print(c, out);
            for (String[] advice : RestartAdvice.of(cluster, c)) {
                out.printf("%-11s %-8s %s%n", advice[0], advice[1], advice[2]);
            }
            try (ResultSet rs = st.executeQuery("""
                    SELECT (SELECT extversion FROM pg_extension WHERE extname = 'tmidb'), tmi.host(),
                           (SELECT count(*) FROM tmi.raw_bucket WHERE status = 'pending'),
                           (SELECT count(*) FROM tmi.schema_pending), (SELECT count(*) FROM tmi.alarm_pending)""")) {
                rs.next();
                out.printf("%-11s %-8s tmidb %s, stored logic on the %s host%n", "host", "ok", rs.getString(1), rs.getString(2));
                out.printf("%-11s %-8s %d raw documents, %d schema changes, %d alarm evaluations waiting%n", "queue",
                        rs.getLong(3) + rs.getLong(4) + rs.getLong(5) > 0 ? "busy" : "idle", rs.getLong(3), rs.getLong(4), rs.getLong(5));
            }
            try (ResultSet rs = st.executeQuery("SELECT subsystem, state, detail FROM tmi.status()")) {
                while (rs.next()) {
                    out.printf("%-11s %-8s %s%n", rs.getString(1), rs.getString(2), rs.getString(3));
                }
            }
        }
        return ExitCodes.OK;
    }
}
