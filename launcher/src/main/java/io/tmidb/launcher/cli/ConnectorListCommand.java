// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;

/**
 * {@code tmictl connector list}: every connector with its run state, from {@code tmi.connectors},
 * so secrets in options are masked exactly as in SQL.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List connectors with their schedule and run state (secrets masked).")
final class ConnectorListCommand implements Callable<Integer> {
    private static final String FORMAT = "%-24s %-7s %-6s %-10s %-20s %-6s %-8s %-20s %s%n";
    private static final String QUERY = "SELECT name, enabled, format, every::text AS every,"
            + " to_char(last_success AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') AS last_success,"
            + " last_status, consecutive_failures,"
            + " to_char(next_run AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"') AS next_run,"
            + " url, options::text AS options, last_error, mapping, suggestion_note FROM tmi.connectors ORDER BY name";

    @Mixin NodeOptions node;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws SQLException {
        PrintWriter out = spec.commandLine().getOut();
        try (Connection c = node.connect();
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(QUERY)) {
            out.printf(FORMAT, "NAME", "ENABLED", "FORMAT", "EVERY", "LAST SUCCESS", "STATUS", "FAILURES", "NEXT RUN", "URL");
            int rows = 0;
            while (rs.next()) {
                rows++;
                out.printf(FORMAT, rs.getString("name"), rs.getBoolean("enabled") ? "yes" : "no", rs.getString("format"),
                        rs.getString("every"), orDash(rs.getString("last_success")), orDash(rs.getString("last_status")),
                        rs.getInt("consecutive_failures"), rs.getBoolean("enabled") ? rs.getString("next_run") : "-",
                        rs.getString("url"));
                if (!"{}".equals(rs.getString("options"))) {
                    out.println("    options: " + rs.getString("options"));
                }
                if (rs.getString("last_error") != null) {
                    out.println("    last error: " + rs.getString("last_error"));
                }
                if (!"manual".equals(rs.getString("mapping"))) {
                    out.println("    mapping " + rs.getString("mapping") + ": " + orDash(rs.getString("suggestion_note")));
                }
            }
            out.println(rows == 1 ? "(1 connector)" : "(" + rows + " connectors)");
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
