// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What one role may do with the API's relations and functions, as PostgreSQL's privilege functions
 * answer it (membership included): which of SELECT, INSERT, UPDATE, DELETE it holds on each
 * relation (on the table or on any column), and which functions it may execute (those of the
 * API versions, and {@code tmi.ingest}, which the webhook {@code POST /ingest/<source>} calls). The OpenAPI
 * document lists only these, as PostgREST's does; row-level security is not consulted.
 */
public record Grants(Map<String, Set<String>> relations, Set<String> functions) {
    private static final String RELATIONS = """
            SELECT n.nspname || '.' || c.relname,
                   pg_catalog.has_any_column_privilege(?, c.oid, 'SELECT'), pg_catalog.has_any_column_privilege(?, c.oid, 'INSERT'),
                   pg_catalog.has_any_column_privilege(?, c.oid, 'UPDATE'), pg_catalog.has_table_privilege(?, c.oid, 'DELETE')
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname ~ '^api_v[0-9]+$' AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
               AND pg_catalog.has_schema_privilege(?, n.oid, 'USAGE')""";
    private static final String FUNCTIONS = """
            SELECT DISTINCT n.nspname || '.' || p.proname
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
             WHERE (n.nspname ~ '^api_v[0-9]+$' OR (n.nspname = 'tmi' AND p.proname = 'ingest')) AND p.prokind = 'f'
               AND pg_catalog.has_schema_privilege(?, n.oid, 'USAGE') AND pg_catalog.has_function_privilege(?, p.oid, 'EXECUTE')""";
    private static final String[] PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE"};

    public Grants {
        relations = Map.copyOf(relations);
        functions = Set.copyOf(functions);
    }

    /** The privileges of {@code role} (a role the gateway serves, so it exists). */
    public static Grants of(DataSource db, String role) throws SQLException {
        Map<String, Set<String>> relations = new HashMap<>();
        Set<String> functions = new HashSet<>();
        try (Connection c = db.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement(RELATIONS)) {
                for (int i = 1; i <= 5; i++) {
                    ps.setString(i, role);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Set<String> held = new HashSet<>();
                        for (int i = 0; i < PRIVILEGES.length; i++) {
                            if (rs.getBoolean(2 + i)) {
                                held.add(PRIVILEGES[i]);
                            }
                        }
                        if (!held.isEmpty()) {
                            relations.put(rs.getString(1), Set.copyOf(held));
                        }
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(FUNCTIONS)) {
                ps.setString(1, role);
                ps.setString(2, role);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        functions.add(rs.getString(1));
                    }
                }
            }
        }
        return new Grants(relations, functions);
    }

    /** The privileges held on {@code schema.name} (empty: the relation is not listed). */
    public Set<String> on(String schema, String name) {
        return relations.getOrDefault(schema + "." + name, Set.of());
    }

    public boolean mayExecute(String schema, String name) {
        return functions.contains(schema + "." + name);
    }
}
