// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.FieldRef;
import io.tmidb.gateway.internal.request.Operator;
import io.tmidb.gateway.internal.request.OrderItem;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.List;
import java.util.Locale;

/** SQL for the parts of a plan: fields with JSON paths, select lists, WHERE trees, ORDER BY. */
final class Expressions {
    private Expressions() {
    }

    static Sql field(FieldRef f) {
        Sql sql = new Sql().ident(f.column());
        for (FieldRef.PathStep step : f.path()) {
            sql.add(step.asText() ? " ->> " : " -> ");
            if (step.isIndex()) {
                sql.add("CAST(").param(step.key()).add(" AS integer)");
            } else {
                sql.add("CAST(").param(step.key()).add(" AS text)");
            }
        }
        return sql;
    }

    /** The SQL type of a field's value: the column's, or text/jsonb at the end of a JSON path. */
    static String type(Relation r, FieldRef f) {
        if (f.path().isEmpty()) {
            return r.columns().get(f.column()).type();
        }
        return f.endsAsText() ? "text" : "jsonb";
    }

    static Sql selectList(List<SelectItem> items) {
        Sql sql = new Sql();
        for (int i = 0; i < items.size(); i++) {
            SelectItem s = items.get(i);
            if (i > 0) {
                sql.add(", ");
            }
            if (s.star()) {
                sql.add("*");
                continue;
            }
            Sql f = field(s.field());
            if (s.cast() != null) {
                sql.add("CAST(").add(f).add(" AS " + s.cast() + ")");
            } else {
                sql.add(f);
            }
            sql.add(" AS ").ident(s.outputName());
        }
        return sql;
    }

    /** {@code WHERE ...} for the conditions (all must hold), or nothing. */
    static Sql where(Relation r, List<Condition> conditions) {
        Sql sql = new Sql();
        if (conditions.isEmpty()) {
            return sql;
        }
        sql.add(" WHERE ");
        for (int i = 0; i < conditions.size(); i++) {
            if (i > 0) {
                sql.add(" AND ");
            }
            sql.add(condition(r, conditions.get(i)));
        }
        return sql;
    }

    private static Sql condition(Relation r, Condition c) {
        Sql sql = new Sql();
        if (c instanceof Condition.Logic l) {
            sql.add(l.negated() ? "NOT (" : "(");
            for (int i = 0; i < l.children().size(); i++) {
                if (i > 0) {
                    sql.add(l.and() ? " AND " : " OR ");
                }
                sql.add(condition(r, l.children().get(i)));
            }
            return sql.add(")");
        }
        Condition.Filter f = (Condition.Filter) c;
        sql.add(f.negated() ? "NOT (" : "(");
        Sql field = field(f.field());
        String type = type(r, f.field());
        Operator op = f.op();
        if (f.quantifier() != null) {
            return sql.add(quantified(f, field, type)).add(")");
        }
        switch (op) {
            case LIKE, ILIKE -> sql.add("CAST(").add(field).add(" AS text) " + op.sql() + " ").param(f.values().get(0).replace('*', '%'));
            case MATCH, IMATCH -> sql.add("CAST(").add(field).add(" AS text) " + op.sql() + " ").param(f.values().get(0));
            case FTS, PLFTS, PHFTS, WFTS -> sql.add(fullText(f, field, type));
            case IN -> {
                if (f.values().isEmpty()) {
                    sql.add("false");
                } else {
                    sql.add(field).add(" IN (");
                    for (int i = 0; i < f.values().size(); i++) {
                        sql.add(i > 0 ? ", CAST(" : "CAST(").param(f.values().get(i)).add(" AS " + type + ")");
                    }
                    sql.add(")");
                }
            }
            case IS -> {
                String v = f.values().get(0).toLowerCase(Locale.ROOT);
                sql.add(field).add(switch (v) {
                    case "null" -> " IS NULL";
                    case "not_null" -> " IS NOT NULL";
                    case "true" -> " IS TRUE";
                    case "false" -> " IS FALSE";
                    default -> " IS UNKNOWN";
                });
            }
            default -> sql.add(field).add(" " + op.sql() + " CAST(").param(f.values().get(0)).add(" AS " + type + ")");
        }
        return sql.add(")");
    }

    /**
     * {@code op(any)}/{@code op(all)}: the field compared with each element of the value, a
     * PostgreSQL array literal cast to an array of the field's type (text for patterns).
     */
    private static Sql quantified(Condition.Filter f, Sql field, String type) {
        Operator op = f.op();
        String value = f.values().get(0);
        if (op.pattern()) {
            return new Sql().add("CAST(").add(field).add(" AS text) " + op.sql() + " " + f.quantifier() + " (CAST(")
                    .param(op == Operator.LIKE || op == Operator.ILIKE ? value.replace('*', '%') : value).add(" AS text[]))");
        }
        return new Sql().add(field).add(" " + op.sql() + " " + f.quantifier() + " (CAST(").param(value).add(" AS " + type + "[]))");
    }

    /**
     * Full-text search as PostgREST does it: a tsvector column is searched as it is, any other
     * field as {@code to_tsvector} of its text; the language, when given, is a regconfig parameter.
     */
    private static Sql fullText(Condition.Filter f, Sql field, String type) {
        Sql sql = new Sql();
        if (type.equals("tsvector")) {
            sql.add(field);
        } else {
            sql.add("to_tsvector(");
            if (f.language() != null) {
                sql.add("CAST(").param(f.language()).add(" AS regconfig), ");
            }
            sql.add("CAST(").add(field).add(" AS text))");
        }
        sql.add(" @@ " + f.op().sql() + "(");
        if (f.language() != null) {
            sql.add("CAST(").param(f.language()).add(" AS regconfig), ");
        }
        return sql.add("CAST(").param(f.values().get(0)).add(" AS text))");
    }

    static Sql orderBy(List<OrderItem> order) {
        Sql sql = new Sql();
        for (int i = 0; i < order.size(); i++) {
            OrderItem o = order.get(i);
            sql.add(i == 0 ? " ORDER BY " : ", ").add(field(o.field())).add(o.descending() ? " DESC" : " ASC");
            if (o.nullsFirst() != null) {
                sql.add(o.nullsFirst() ? " NULLS FIRST" : " NULLS LAST");
            }
        }
        return sql;
    }
}
