// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import io.tmidb.gateway.internal.plan.CallPlan;
import io.tmidb.gateway.internal.plan.ReadPlan;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.schema.Relation;
import io.tmidb.gateway.internal.schema.Routine;

import java.util.List;

/**
 * The SQL of reads and calls, shaped like PostgREST's: the rows are produced in a CTE
 * {@code pgrst_source}, and one result row carries the total (when counted), the number of rows
 * and the rows as one JSON array built by the database (writes: {@link WriteStatements}).
 */
public final class Statements {
    private Statements() {
    }

    /**
     * {@code count(*)}, the rows as JSON (null fields dropped when asked), the session's settings
     * and {@code more} columns, from {@code pgrst_source}.
     */
    public static String aggregate(boolean stripNulls, String... more) {
        String rows = stripNulls ? "json_strip_nulls(json_agg(_pgrst_t))" : "json_agg(_pgrst_t)";
        StringBuilder extra = new StringBuilder();
        for (String m : more) {
            extra.append(", ").append(m);
        }
        return "count(*), coalesce(" + rows + ", '[]')::text" + Database.SESSION_COLUMNS + extra + " FROM pgrst_source _pgrst_t";
    }

    public static Query read(ReadPlan p) {
        Sql from = relation(p.relation());
        return new Query(window(p, new Sql(), from), planned(p, from));
    }

    /**
     * A call runs the function once: its rows are materialized in {@code pgrst_call}, which both
     * the window and the count read, so a function that writes does not write twice.
     */
    public static Query call(CallPlan p) {
        Sql call = callExpression(p);
        if (p.routine().returnsVoid()) {
            return new Query(new Sql().add("SELECT NULL, 0, NULL" + Database.SESSION_COLUMNS + " FROM ").add(call).add(" AS _pgrst_r"), null);
        }
        if (p.read() == null) {
            return new Query(new Sql().add("SELECT NULL, 1, to_json(_pgrst_r)::text" + Database.SESSION_COLUMNS + " FROM ")
                    .add(call).add(" AS _pgrst_r"), null);
        }
        Sql materialized = new Sql().add("pgrst_call AS MATERIALIZED (SELECT * FROM ").add(call).add(" AS _pgrst_r), ");
        Sql sql = window(p.read(), materialized, new Sql().add("pgrst_call"));
        Sql planned = planned(p.read(), new Sql().add(call).add(" AS _pgrst_r"));
        if (!p.routine().returnsSet()) {
            // one composite value: PostgREST answers the object, not an array
            sql = new Sql().add("SELECT NULL, 1, coalesce((_pgrst_a.body::json -> 0)::text, 'null'), _pgrst_a.r, _pgrst_a.c, _pgrst_a.ro FROM (")
                    .add(sql).add(") AS _pgrst_a(total, n, body, r, c, ro)");
        }
        return new Query(sql, planned);
    }

    private static Sql window(ReadPlan p, Sql ctes, Sql from) {
        Sql where = Expressions.where(p.relation(), p.where());
        Sql sql = new Sql().add("WITH ").add(ctes).add("pgrst_source AS (SELECT ").add(Expressions.selectList(p.select()))
                .add(" FROM ").add(from).add(where).add(Expressions.orderBy(p.order()));
        // literal numbers (parsed longs, nothing to inject): a plan that knows the limit reads the
        // first rows of an ordered index instead of sorting every matching row, also when cached
        if (p.limit() != null) {
            sql.add(" LIMIT " + p.limit());
        }
        if (p.offset() > 0) {
            sql.add(" OFFSET " + p.offset());
        }
        sql.add(") SELECT ");
        if (p.count() == Preferences.Count.EXACT || p.count() == Preferences.Count.ESTIMATED) {
            sql.add("(SELECT count(*) FROM ").add(from).add(where).add("), ");
        } else {
            sql.add("NULL, ");
        }
        return sql.add(aggregate(p.stripNulls()));
    }

    /** The query whose planned row count answers {@code count=planned}, or null. */
    private static Sql planned(ReadPlan p, Sql from) {
        if (p.count() != Preferences.Count.PLANNED) {
            return null;
        }
        return new Sql().add("SELECT 1 FROM ").add(from).add(Expressions.where(p.relation(), p.where()));
    }

    private static Sql callExpression(CallPlan p) {
        Routine r = p.routine();
        Sql sql = new Sql().ident(r.schema()).add(".").ident(r.name()).add("(");
        boolean first = true;
        for (int i = 0; i < r.argNames().size(); i++) {
            String name = r.argNames().get(i);
            if (!p.args().containsKey(name)) {
                continue;
            }
            sql.add(first ? "" : ", ").ident(name).add(" => CAST(").param(p.args().get(name)).add(" AS " + r.argTypes().get(i) + ")");
            first = false;
        }
        return sql.add(")");
    }

    static Sql relation(Relation r) {
        return new Sql().ident(r.schema()).add(".").ident(r.name());
    }

    /** The names, quoted, each after {@code prefix}, separated by commas. */
    static Sql columns(List<String> names, String prefix) {
        Sql sql = new Sql();
        for (int i = 0; i < names.size(); i++) {
            sql.add(i > 0 ? ", " + prefix : prefix).ident(names.get(i));
        }
        return sql;
    }
}
