// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small helpers for tests that read query results and assert server errors. */
public final class Sql {
    private Sql() {
    }

    /** The first column of every row, in order. */
    public static List<String> column(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** The first column of every row, as a sorted set. */
    public static Set<String> set(Connection c, String sql) throws SQLException {
        return new TreeSet<>(column(c, sql));
    }

    /** The first column of the only row. */
    public static String scalar(Connection c, String sql) throws SQLException {
        List<String> rows = column(c, sql);
        assertEquals(1, rows.size(), "rows of " + sql);
        return rows.get(0);
    }

    public static long scalarLong(Connection c, String sql) throws SQLException {
        return Long.parseLong(scalar(c, sql));
    }

    /** Asserts that the statement fails with {@code sqlState}; returns the error. */
    public static PSQLException assertState(Connection c, String sqlState, String sql) {
        PSQLException e = assertThrows(PSQLException.class, () -> {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }, sql);
        assertEquals(sqlState, e.getSQLState(), () -> sql + " -> " + e.getMessage());
        return e;
    }

    /** Asserts that the prepared statement fails with {@code sqlState}; returns the error. */
    public static PSQLException assertState(PreparedStatement ps, String sqlState) {
        PSQLException e = assertThrows(PSQLException.class, ps::execute);
        assertEquals(sqlState, e.getSQLState(), e::getMessage);
        return e;
    }

    /**
     * Asserts that the statement fails with {@code sqlState} and that the server says what to do
     * (a HINT); returns the server's error for further checks.
     */
    public static ServerErrorMessage assertFails(Connection c, String sqlState, String sql) {
        PSQLException e = assertState(c, sqlState, sql);
        ServerErrorMessage m = e.getServerErrorMessage();
        assertNotNull(m, sql);
        assertTrue(m.getHint() != null && !m.getHint().isBlank(), () -> sql + " has no hint: " + e.getMessage());
        return m;
    }
}
