// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A table or view of an {@code api_vN} schema: its columns in column order, its key (a table's
 * primary key, or for a view the columns that show all primary-key columns of one base table;
 * empty when there is none), the default expressions of its columns, and whether it is a table
 * (rows have a {@code ctid}).
 */
public record Relation(String schema, String name, Map<String, Column> columns, List<String> key,
                       Map<String, String> defaults, boolean table) {
    public Relation {
        columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
        key = List.copyOf(key);
        defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
    }

    /** A relation without key or defaults, e.g. the rows a function returns. */
    public Relation(String schema, String name, Map<String, Column> columns) {
        this(schema, name, columns, List.of(), Map.of(), false);
    }

    public Optional<Column> column(String column) {
        return Optional.ofNullable(columns.get(column));
    }

    public List<Column> columnList() {
        return List.copyOf(columns.values());
    }
}
