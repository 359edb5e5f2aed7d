// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import javax.sql.DataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the API serves, read from the catalog: schemas named {@code api_v<N>}, their relations
 * with columns, and their functions. Reloaded periodically by the gateway and on demand when a
 * request names something the snapshot lacks (at most once a second), so new schema versions
 * appear without a restart. Only names found here reach SQL text, always quoted.
 */
public final class SchemaCache {
    private static final Logger LOG = Logger.getLogger(SchemaCache.class.getName());
    private static final String SCHEMAS = "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname ~ '^api_v[0-9]+$'";
    private static final String COLUMNS = """
            SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   a.atttypid IN ('json'::regtype, 'jsonb'::regtype), c.relkind IN ('r', 'p'),
                   (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
                     WHERE d.adrelid = c.oid AND d.adnum = a.attnum)
              FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             WHERE n.nspname ~ '^api_v[0-9]+$' AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
             ORDER BY n.nspname, c.relname, a.attnum""";
    private static final String FUNCTIONS = """
            SELECT n.nspname, p.proname, p.proretset, p.provolatile, p.pronargdefaults,
                   ARRAY(SELECT coalesce(p.proargnames[i], '') FROM generate_series(1, coalesce(array_length(p.proargmodes, 1), p.pronargs)) i
                          WHERE p.proargmodes IS NULL OR p.proargmodes[i] IN ('i', 'b', 'v') ORDER BY i),
                   ARRAY(SELECT pg_catalog.format_type(x, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(x, i) ORDER BY i),
                   CASE WHEN t.typrelid <> 0 THEN
                        ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
                        ELSE ARRAY(SELECT p.proargnames[i] FROM generate_series(1, coalesce(array_length(p.proargmodes, 1), 0)) i
                                    WHERE p.proargmodes[i] IN ('t', 'o', 'b') ORDER BY i) END,
                   CASE WHEN t.typrelid <> 0 THEN
                        ARRAY(SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
                        ELSE ARRAY(SELECT pg_catalog.format_type(p.proallargtypes[i], NULL)
                                     FROM generate_series(1, coalesce(array_length(p.proargmodes, 1), 0)) i
                                    WHERE p.proargmodes[i] IN ('t', 'o', 'b') ORDER BY i) END,
                   p.prorettype = 'pg_catalog.void'::pg_catalog.regtype
              FROM pg_catalog.pg_proc p
              JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
              JOIN pg_catalog.pg_type t ON t.oid = p.prorettype
             WHERE n.nspname ~ '^api_v[0-9]+$' AND p.prokind = 'f' AND t.typname NOT IN ('trigger', 'event_trigger')""";

    /**
     * Keys: a table's primary key; for a view, the view columns that show every primary-key
     * column of one base table. The planner records in each view column of the stored query
     * where a plain column reference came from (resorigtbl, resorigcol), which is what is read here.
     */
    private static final String KEYS = """
            WITH view_cols AS (
                SELECT DISTINCT ON (c.oid, m[2]::oid, m[3]::int) c.oid AS view, m[1] AS col, m[2]::oid AS base, m[3]::int AS basecol
                  FROM pg_catalog.pg_rewrite r
                  JOIN pg_catalog.pg_class c ON c.oid = r.ev_class AND c.relkind = 'v'
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname ~ '^api_v[0-9]+$'
                 CROSS JOIN LATERAL regexp_matches(r.ev_action::text,
                       ':resname (\\S+) :ressortgroupref \\d+ :resorigtbl (\\d+) :resorigcol (\\d+)', 'g') m
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = m[1] AND a.attnum > 0
                 ORDER BY c.oid, m[2]::oid, m[3]::int, a.attnum),
            keys AS (
                SELECT con.conrelid AS rel, con.oid AS con, a.attname::text AS col, k.ord
                  FROM pg_catalog.pg_constraint con
                 CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                 WHERE con.contype = 'p'
                UNION ALL
                SELECT v.view, con.oid, v.col, k.ord
                  FROM pg_catalog.pg_constraint con
                 CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                  JOIN view_cols v ON v.base = con.conrelid AND v.basecol = k.attnum
                 WHERE con.contype = 'p' AND cardinality(con.conkey) = (SELECT count(*) FROM view_cols w
                        WHERE w.view = v.view AND w.base = con.conrelid AND w.basecol = ANY (con.conkey)))
            SELECT DISTINCT ON (n.nspname, c.relname) n.nspname, c.relname, array_agg(keys.col ORDER BY keys.ord)
              FROM keys
              JOIN pg_catalog.pg_class c ON c.oid = keys.rel
              JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname ~ '^api_v[0-9]+$'
             GROUP BY n.nspname, c.relname, keys.con
             ORDER BY n.nspname, c.relname, keys.con""";

    private final DataSource db;
    private volatile ApiSchemas current = new ApiSchemas(List.of(), Map.of(), Map.of());
    private volatile long lastLoad;

    public SchemaCache(DataSource db) {
        this.db = db;
    }

    public ApiSchemas get() {
        return current;
    }

    /** Reloads when the last load is older than a second; returns the (possibly new) snapshot. */
    public ApiSchemas reloadIfStale() {
        if (System.nanoTime() - lastLoad > 1_000_000_000L) {
            try {
                reload();
            } catch (SQLException e) {
                LOG.log(Level.WARNING, "schema cache reload failed; serving the previous snapshot. Check the database connection (db-url).", e);
            }
        }
        return current;
    }

    public synchronized void reload() throws SQLException {
        try (Connection c = db.getConnection()) {
            List<String> versions = new ArrayList<>();
            Map<String, Map<String, Relation>> relations = new HashMap<>();
            Map<String, Map<String, List<Routine>>> routines = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(SCHEMAS); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    versions.add(rs.getString(1));
                }
            }
            versions.sort(Comparator.comparingLong(s -> Long.parseLong(s.substring("api_v".length()))));
            Map<String, Map<String, Map<String, Column>>> cols = new LinkedHashMap<>();
            Map<String, Map<String, String>> defaults = new HashMap<>();
            Set<String> tables = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement(COLUMNS); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
                            .computeIfAbsent(rs.getString(2), k -> new LinkedHashMap<>())
                            .put(rs.getString(3), new Column(rs.getString(3), rs.getString(4), rs.getBoolean(5)));
                    String qualified = rs.getString(1) + "." + rs.getString(2);
                    if (rs.getBoolean(6)) {
                        tables.add(qualified);
                    }
                    if (rs.getString(7) != null) {
                        defaults.computeIfAbsent(qualified, k -> new LinkedHashMap<>()).put(rs.getString(3), rs.getString(7));
                    }
                }
            }
            Map<String, List<String>> keys = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement(KEYS); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.put(rs.getString(1) + "." + rs.getString(2), strings(rs.getArray(3)));
                }
            }
            cols.forEach((schema, rels) -> {
                Map<String, Relation> m = new HashMap<>();
                rels.forEach((name, columns) -> {
                    String qualified = schema + "." + name;
                    m.put(name, new Relation(schema, name, columns, keys.getOrDefault(qualified, List.of()),
                            defaults.getOrDefault(qualified, Map.of()), tables.contains(qualified)));
                });
                relations.put(schema, Map.copyOf(m));
            });
            try (PreparedStatement ps = c.prepareStatement(FUNCTIONS); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> outNames = strings(rs.getArray(8));
                    List<String> outTypes = strings(rs.getArray(9));
                    Map<String, Column> result = new LinkedHashMap<>();
                    for (int i = 0; i < outNames.size(); i++) {
                        String type = outTypes.get(i);
                        result.put(outNames.get(i), new Column(outNames.get(i), type, type.equals("json") || type.equals("jsonb")));
                    }
                    Routine r = new Routine(rs.getString(1), rs.getString(2), strings(rs.getArray(6)), strings(rs.getArray(7)),
                            rs.getInt(5), rs.getBoolean(3), result, rs.getString(4).charAt(0), rs.getBoolean(10));
                    routines.computeIfAbsent(r.schema(), k -> new HashMap<>()).computeIfAbsent(r.name(), k -> new ArrayList<>()).add(r);
                }
            }
            current = new ApiSchemas(versions, relations, Map.copyOf(routines));
            lastLoad = System.nanoTime();
        }
    }

    private static List<String> strings(Array a) throws SQLException {
        return a == null ? List.of() : List.of((String[]) a.getArray());
    }
}
