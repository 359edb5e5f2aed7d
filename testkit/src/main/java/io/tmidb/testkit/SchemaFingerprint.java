// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Everything the tmidb extension defines in a database, one line per property, in a stable order:
 * its member relations with their columns, constraints, indexes, triggers, policies, grants and
 * comments, its functions with their definitions, grants and comments, its types. Two databases
 * with equal fingerprints have the same extension objects, however they got them (a fresh
 * {@code CREATE EXTENSION} or an update from an older version).
 */
public final class SchemaFingerprint {
    private static final String QUERY = """
            WITH member AS (
                SELECT d.classid, d.objid
                  FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid AND d.refclassid = 'pg_extension'::regclass
                 WHERE e.extname = 'tmidb' AND d.deptype = 'e'
            ), rel AS (
                SELECT c.oid, c.oid::regclass::text AS name, c.relkind, c.relrowsecurity, c.relacl
                  FROM pg_class c JOIN member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid
            ), fn AS (
                SELECT p.oid, p.oid::regprocedure::text AS name, p.proacl
                  FROM pg_proc p JOIN member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
            )
            SELECT 'relation ' || name || ' kind ' || relkind::text || ' rls ' || relrowsecurity
                   || ' acl ' || coalesce(relacl::text, '-') || ' comment ' || coalesce(obj_description(oid, 'pg_class'), '-')
              FROM rel
            UNION ALL
            SELECT 'column ' || r.name || '.' || a.attname || ' #' || a.attnum || ' ' || format_type(a.atttypid, a.atttypmod)
                   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                   || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
                   || coalesce(' acl ' || a.attacl::text, '')
                   || coalesce(' comment ' || col_description(r.oid, a.attnum), '')
              FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
              LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
             WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
            UNION ALL
            SELECT 'view ' || r.name || ' ' || pg_get_viewdef(r.oid) FROM rel r WHERE r.relkind IN ('v', 'm')
            UNION ALL
            SELECT 'constraint ' || r.name || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
              FROM rel r JOIN pg_constraint con ON con.conrelid = r.oid
            UNION ALL
            SELECT 'index ' || pg_get_indexdef(i.indexrelid)
              FROM rel r JOIN pg_index i ON i.indrelid = r.oid
            UNION ALL
            SELECT 'trigger ' || pg_get_triggerdef(t.oid) || CASE t.tgenabled WHEN 'O' THEN '' ELSE ' enabled ' || t.tgenabled::text END
              FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
            UNION ALL
            SELECT 'policy ' || r.name || ' ' || p.polname || ' ' || p.polcmd::text || ' to ' || p.polroles::regrole[]::text
                   || coalesce(' using ' || pg_get_expr(p.polqual, p.polrelid), '')
                   || coalesce(' check ' || pg_get_expr(p.polwithcheck, p.polrelid), '')
              FROM rel r JOIN pg_policy p ON p.polrelid = r.oid
            UNION ALL
            SELECT 'function ' || f.name || ' acl ' || coalesce(f.proacl::text, '-')
                   || ' comment ' || coalesce(obj_description(f.oid, 'pg_proc'), '-') || E'\n' || pg_get_functiondef(f.oid)
              FROM fn f JOIN pg_proc p ON p.oid = f.oid WHERE p.prokind IN ('f', 'p', 'w')
            UNION ALL
            SELECT 'aggregate ' || f.name FROM fn f JOIN pg_proc p ON p.oid = f.oid WHERE p.prokind = 'a'
            UNION ALL
            SELECT 'type ' || t.oid::regtype::text || ' ' || t.typtype::text
              FROM pg_type t JOIN member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
            UNION ALL
            SELECT 'schema ' || n.nspname || ' acl ' || coalesce(n.nspacl::text, '-')
              FROM pg_namespace n JOIN member m ON m.classid = 'pg_namespace'::regclass AND m.objid = n.oid
            ORDER BY 1""";

    private SchemaFingerprint() {
    }

    /** The fingerprint of the extension in the database {@code c} is connected to. */
    public static List<String> of(Connection c) throws SQLException {
        return Sql.column(c, QUERY);
    }
}
