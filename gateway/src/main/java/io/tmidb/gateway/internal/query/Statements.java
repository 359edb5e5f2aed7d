// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import io.tmidb.gateway.internal.plan.CallPlan;
import io.tmidb.gateway.internal.plan.ReadPlan;
import io.tmidb.gateway.internal.plan.WritePlan;
import io.tmidb.gateway.internal.schema.Relation;
import io.tmidb.gateway.internal.schema.Routine;

import java.util.List;

/**
 * The SQL of each plan, shaped like PostgREST's: the rows are produced in a CTE
 * {@code pgrst_source}, and one result row carries the total (when counted), the number of rows
 * and the rows as one JSON array built by the database.
 */
public final class Statements {
    private static final String AGGREGATE = "count(*), coalesce(json_agg(_pgrst_t), '[]')::text" + Database.SESSION_COLUMNS
            + " FROM pgrst_source _pgrst_t";

    private Statements() {
    }

    public static Sql read(ReadPlan p) {
        Sql from = relation(p.relation());
        return window(p, from);
    }

    public static Sql call(CallPlan p) {
        Sql from = callExpression(p);
        if (p.read() == null) {
            return new Sql().add("SELECT NULL, 1, to_json(_pgrst_r)::text" + Database.SESSION_COLUMNS + " FROM ").add(from).add(" AS _pgrst_r");
        }
        Sql sql = window(p.read(), from.add(" AS _pgrst_r"));
        if (!p.routine().returnsSet()) {
            // one composite value: PostgREST answers the object, not an array
            return new Sql().add("SELECT NULL, 1, coalesce((_pgrst_a.body::json -> 0)::text, 'null'), _pgrst_a.r, _pgrst_a.c, _pgrst_a.ro FROM (")
                    .add(sql).add(") AS _pgrst_a(total, n, body, r, c, ro)");
        }
        return sql;
    }

    public static Sql write(WritePlan p) {
        Sql target = relation(p.relation());
        Sql returning = new Sql().add(" RETURNING ").add(p.returning().isEmpty() ? new Sql().add("1") : Expressions.selectList(p.returning()));
        Sql sql = new Sql();
        switch (p.kind()) {
            case INSERT -> {
                sql.add("WITH pgrst_body AS (SELECT CAST(").param(p.body()).add(" AS json) AS b), pgrst_source AS (INSERT INTO ")
                        .add(target).add(" (").add(columns(p.columns(), "")).add(") SELECT ").add(columns(p.columns(), "_pgrst_p."))
                        .add(" FROM pgrst_body, json_populate_recordset(NULL::").add(relation(p.relation()))
                        .add(", CASE WHEN json_typeof(b) = 'array' THEN b ELSE json_build_array(b) END) AS _pgrst_p")
                        .add(returning).add(")");
            }
            case UPDATE -> {
                sql.add("WITH pgrst_source AS (UPDATE ").add(target).add(" SET ");
                sql.add(p.columns().size() == 1 ? columns(p.columns(), "") : new Sql().add("(").add(columns(p.columns(), "")).add(")"));
                sql.add(" = (SELECT ").add(columns(p.columns(), "_pgrst_p.")).add(" FROM json_populate_record(NULL::")
                        .add(relation(p.relation())).add(", CAST(").param(p.body()).add(" AS json)) AS _pgrst_p)")
                        .add(Expressions.where(p.relation(), p.where())).add(returning).add(")");
            }
            case DELETE -> sql.add("WITH pgrst_source AS (DELETE FROM ").add(target)
                    .add(Expressions.where(p.relation(), p.where())).add(returning).add(")");
        }
        return sql.add(" SELECT NULL, ").add(AGGREGATE);
    }

    private static Sql window(ReadPlan p, Sql from) {
        Sql where = Expressions.where(p.relation(), p.where());
        Sql sql = new Sql().add("WITH pgrst_source AS (SELECT ").add(Expressions.selectList(p.select())).add(" FROM ")
                .add(from).add(where).add(Expressions.orderBy(p.order()));
        if (p.limit() != null) {
            sql.add(" LIMIT CAST(").param(Long.toString(p.limit())).add(" AS bigint)");
        }
        if (p.offset() > 0) {
            sql.add(" OFFSET CAST(").param(Long.toString(p.offset())).add(" AS bigint)");
        }
        sql.add(") SELECT ");
        if (p.countExact()) {
            sql.add("(SELECT count(*) FROM ").add(from).add(where).add("), ");
        } else {
            sql.add("NULL, ");
        }
        return sql.add(AGGREGATE);
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

    private static Sql relation(Relation r) {
        return new Sql().ident(r.schema()).add(".").ident(r.name());
    }

    private static Sql columns(List<String> names, String prefix) {
        Sql sql = new Sql();
        for (int i = 0; i < names.size(); i++) {
            sql.add(i > 0 ? ", " + prefix : prefix).ident(names.get(i));
        }
        return sql;
    }
}
