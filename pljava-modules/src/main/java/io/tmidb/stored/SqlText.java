// SPDX-License-Identifier: MIT
package io.tmidb.stored;

/**
 * Quoting for the few SQL texts the stored logic builds (paths compiled into a query, view DDL):
 * values that cannot be bind parameters there. standard_conforming_strings is on (the default
 * since PostgreSQL 9.1), so doubling quotes is the whole escape. The services quote with pgjdbc's
 * {@code org.postgresql.core.Utils}; the stored logic cannot, since inside the server (PL/Java)
 * there is no pgjdbc, only the jar of this module.
 */
public final class SqlText {
    private SqlText() {
    }

    public static String literal(String s) {
        return "'" + noNul(s).replace("'", "''") + "'";
    }

    public static String ident(String name) {
        return '"' + noNul(name).replace("\"", "\"\"") + '"';
    }

    private static String noNul(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("NUL character in SQL text");
        }
        return s;
    }
}
