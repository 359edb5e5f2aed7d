// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import io.tmidb.gateway.internal.plan.WritePlan;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.List;
import java.util.Map;

/**
 * The SQL of writes. The statement runs in a data-modifying CTE {@code pgrst_mut} that returns
 * each written row whole ({@code pgrst_row}); {@code pgrst_source} shapes them with
 * {@code select=} and {@code order=}. The result row is the one of {@link Statements}, plus how
 * many rows an upsert inserted (the others it updated), told by {@code xmax = 0}.
 */
public final class WriteStatements {
    private WriteStatements() {
    }

    public static Query write(WritePlan p) {
        Sql sql = new Sql().add("WITH ");
        switch (p.kind()) {
            case INSERT, PUT -> sql.add(body(p)).add(", pgrst_mut AS (").add(insert(p)).add(")");
            case UPDATE -> sql.add(affected(p)).add("pgrst_mut AS (").add(update(p)).add(")");
            case DELETE -> sql.add(affected(p)).add("pgrst_mut AS (DELETE FROM ").add(Statements.relation(p.relation()))
                    .add(" AS pgrst_t").add(p.limited() ? " USING pgrst_affected" : "").add(filter(p)).add(" RETURNING pgrst_t AS pgrst_row)");
        }
        sql.add(", pgrst_source AS (");
        if (p.returning().isEmpty()) {
            sql.add("SELECT 1 FROM pgrst_mut)");
        } else {
            sql.add("SELECT ").add(Expressions.selectList(p.returning()))
                    .add(" FROM (SELECT (pgrst_row).* FROM pgrst_mut) AS _pgrst_w").add(Expressions.orderBy(p.order())).add(")");
        }
        String inserted = countsInserted(p) ? "(SELECT count(*) FROM pgrst_mut WHERE pgrst_inserted)" : "NULL";
        return new Query(sql.add(" SELECT NULL, ").add(Statements.aggregate(p.stripNulls(), inserted)), null);
    }

    /** The body as one JSON value; with defaults, each element gets them under its own keys (missing=default). */
    private static Sql body(WritePlan p) {
        String type = p.defaults().isEmpty() ? "json" : "jsonb";
        return new Sql().add("pgrst_body AS (SELECT CAST(").param(p.body()).add(" AS " + type + ") AS pgrst_json)");
    }

    private static Sql insert(WritePlan p) {
        Relation r = p.relation();
        String json = p.defaults().isEmpty() ? "json" : "jsonb";
        Sql elements = new Sql().add("CASE WHEN " + json + "_typeof(pgrst_json) = 'array' THEN pgrst_json ELSE " + json
                + "_build_array(pgrst_json) END");
        if (!p.defaults().isEmpty()) {
            elements = new Sql().add("(SELECT coalesce(jsonb_agg(").add(defaults(p.defaults())).add(" || _pgrst_e), '[]')"
                    + " FROM jsonb_array_elements(").add(elements).add(") AS _pgrst_e)");
        }
        Sql sql = new Sql().add("INSERT INTO ").add(Statements.relation(r)).add(" AS pgrst_t (").add(Statements.columns(p.columns(), ""))
                .add(") SELECT ").add(Statements.columns(p.columns(), "_pgrst_p.")).add(" FROM pgrst_body, " + json + "_populate_recordset(NULL::")
                .add(Statements.relation(r)).add(", ").add(elements).add(") AS _pgrst_p");
        // PUT: only a body whose key is the URL's is written (else nothing is, and the request fails)
        sql.add(p.kind() == WritePlan.Kind.PUT ? Expressions.where(r, p.where()) : new Sql());
        WritePlan.Conflict c = p.conflict();
        if (c == null) {
            return sql.add(" RETURNING pgrst_t AS pgrst_row");
        }
        sql.add(" ON CONFLICT (").add(Statements.columns(c.columns(), "")).add(")");
        if (c.merge()) {
            sql.add(" DO UPDATE SET ");
            for (int i = 0; i < p.columns().size(); i++) {
                String col = p.columns().get(i);
                sql.add(i > 0 ? ", " : "").ident(col).add(" = EXCLUDED.").ident(col);
            }
        } else {
            sql.add(" DO NOTHING");
        }
        return sql.add(countsInserted(p) ? " RETURNING pgrst_t AS pgrst_row, pgrst_t.xmax = 0 AS pgrst_inserted" : " RETURNING pgrst_t AS pgrst_row");
    }

    /**
     * Whether the rows an upsert inserted are told from those it updated: a row it inserted has no
     * xmax yet. Views have no xmax, and no ON CONFLICT either (PostgreSQL refuses it, 42P10).
     */
    private static boolean countsInserted(WritePlan p) {
        return p.conflict() != null && p.relation().table();
    }

    private static Sql defaults(Map<String, String> defaults) {
        Sql sql = new Sql().add("jsonb_build_object(");
        boolean first = true;
        for (Map.Entry<String, String> d : defaults.entrySet()) {
            // the expression is the catalog's own (pg_get_expr of the column default), not request text
            sql.add(first ? "" : ", ").add("CAST(").param(d.getKey()).add(" AS text), (" + d.getValue() + ")");
            first = false;
        }
        return sql.add(")");
    }

    private static Sql update(WritePlan p) {
        Relation r = p.relation();
        Sql sql = new Sql().add("UPDATE ").add(Statements.relation(r)).add(" AS pgrst_t SET ");
        sql.add(p.columns().size() == 1 ? Statements.columns(p.columns(), "")
                : new Sql().add("(").add(Statements.columns(p.columns(), "")).add(")"));
        sql.add(" = (SELECT ").add(Statements.columns(p.columns(), "_pgrst_p.")).add(" FROM json_populate_record(NULL::")
                .add(Statements.relation(r)).add(", CAST(").param(p.body()).add(" AS json)) AS _pgrst_p)");
        return sql.add(p.limited() ? " FROM pgrst_affected" : "").add(filter(p)).add(" RETURNING pgrst_t AS pgrst_row");
    }

    /**
     * For a limited UPDATE or DELETE, the rows to write: the window of the matching rows in the
     * requested order, named by ctid (tables) or by the view's key. Empty when not limited.
     */
    private static Sql affected(WritePlan p) {
        if (!p.limited()) {
            return new Sql();
        }
        Sql sql = new Sql().add("pgrst_affected AS (SELECT ").add(Statements.columns(identity(p.relation()), "")).add(" FROM ")
                .add(Statements.relation(p.relation())).add(Expressions.where(p.relation(), p.where())).add(Expressions.orderBy(p.order()));
        if (p.limit() != null) {
            sql.add(" LIMIT CAST(").param(Long.toString(p.limit())).add(" AS bigint)");
        }
        if (p.offset() > 0) {
            sql.add(" OFFSET CAST(").param(Long.toString(p.offset())).add(" AS bigint)");
        }
        return sql.add("), ");
    }

    /** The WHERE of the statement: the request's filters, or for a limited one the rows picked in pgrst_affected. */
    private static Sql filter(WritePlan p) {
        if (!p.limited()) {
            return Expressions.where(p.relation(), p.where());
        }
        Sql sql = new Sql().add(" WHERE ");
        List<String> id = identity(p.relation());
        for (int i = 0; i < id.size(); i++) {
            sql.add(i > 0 ? " AND " : "").add("pgrst_t.").ident(id.get(i)).add(" = pgrst_affected.").ident(id.get(i));
        }
        return sql;
    }

    private static List<String> identity(Relation r) {
        return r.table() ? List.of("ctid") : r.key();
    }
}
