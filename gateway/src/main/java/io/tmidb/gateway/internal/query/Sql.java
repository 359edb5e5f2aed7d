// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import org.postgresql.core.Utils;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * SQL text under construction and its parameters. Identifiers enter only through
 * {@link #ident(String)} (names taken from the schema cache, quoted); values only as parameters.
 */
public final class Sql {
    private final StringBuilder text = new StringBuilder();
    private final List<String> params = new ArrayList<>();

    public Sql add(String sqlText) {
        text.append(sqlText);
        return this;
    }

    public Sql ident(String name) {
        try {
            Utils.escapeIdentifier(text, name);
        } catch (SQLException e) {
            // names come from the catalog, which holds no NUL character
            throw new IllegalArgumentException("not an SQL identifier: " + e.getMessage(), e);
        }
        return this;
    }

    /** A parameter placeholder bound to {@code value} (sent as text; the SQL casts it). */
    public Sql param(String value) {
        text.append('?');
        params.add(value);
        return this;
    }

    /** Appends another fragment, text and parameters. */
    public Sql add(Sql other) {
        text.append(other.text);
        params.addAll(other.params);
        return this;
    }

    public String text() {
        return text.toString();
    }

    public List<String> params() {
        return params;
    }

    public boolean isEmpty() {
        return text.length() == 0;
    }
}
