// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the thin tmictl wrappers over the SQL front door share: bind the arguments, run the one
 * function call or query, print the rows as aligned columns. The SQL stays the one way to do it;
 * its errors (SQLSTATE, message, hint) reach the operator through {@link ExitCodes}.
 */
final class SqlCommands {
    private SqlCommands() {
    }

    /** Runs {@code sql} with {@code params} (strings, bound as text) and prints the result. */
    static void print(Connection c, PrintWriter out, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                table(rs, out);
            }
        }
        out.flush();
    }

    private static void table(ResultSet rs, PrintWriter out) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<String[]> rows = new ArrayList<>();
        String[] head = new String[n];
        int[] width = new int[n];
        for (int i = 0; i < n; i++) {
            head[i] = md.getColumnLabel(i + 1);
            width[i] = head[i].length();
        }
        while (rs.next()) {
            String[] row = new String[n];
            for (int i = 0; i < n; i++) {
                row[i] = rs.getString(i + 1) == null ? "" : rs.getString(i + 1);
                width[i] = Math.max(width[i], Math.min(row[i].length(), 60));
            }
            rows.add(row);
        }
        line(out, head, width);
        for (String[] row : rows) {
            line(out, row, width);
        }
        out.println("(" + rows.size() + (rows.size() == 1 ? " row)" : " rows)"));
    }

    private static void line(PrintWriter out, String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            sb.append(i == 0 ? "" : "  ").append(String.format("%-" + width[i] + "s", cells[i]));
        }
        out.println(sb.toString().stripTrailing());
    }

    /** An argument given inline or as @file. */
    static String inlineOrFile(String arg) throws IOException {
        return arg.startsWith("@") ? Files.readString(Path.of(arg.substring(1))) : arg;
    }
}
