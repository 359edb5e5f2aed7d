// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A table or view of an {@code api_vN} schema and its columns, in column order. */
public record Relation(String schema, String name, Map<String, Column> columns) {
    public Relation {
        columns = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(columns));
    }

    public Optional<Column> column(String column) {
        return Optional.ofNullable(columns.get(column));
    }

    public List<Column> columnList() {
        return List.copyOf(columns.values());
    }
}
