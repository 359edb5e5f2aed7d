// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.Operator;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.request.RequestParams;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns parsed POST, PUT, PATCH and DELETE requests into checked {@link WritePlan}s, with PostgREST's rules. */
public final class WritePlanner {
    private WritePlanner() {
    }

    /**
     * POST: a JSON object or array of objects. With {@code Prefer: resolution=...} and conflict
     * columns ({@code on_conflict}, else the relation's key) it is an upsert; without such columns
     * the preference does not apply, as in PostgREST.
     */
    public static WritePlan insert(Relation relation, RequestParams p, String body, Preferences prefer, boolean stripNulls) {
        JsonNode doc = Planner.parse(body);
        Set<String> keys = new LinkedHashSet<>();
        if (doc.isObject()) {
            doc.fieldNames().forEachRemaining(keys::add);
        } else if (doc.isArray()) {
            for (JsonNode row : doc) {
                if (!row.isObject()) {
                    throw ApiException.body("All object keys must match", "every element of the array must be a JSON object");
                }
                row.fieldNames().forEachRemaining(keys::add);
            }
        } else {
            throw ApiException.body("Empty or invalid json", "the body must be a JSON object or an array of objects");
        }
        List<String> columns = p.columns() != null ? p.columns() : List.copyOf(keys);
        if (columns.isEmpty()) {
            throw ApiException.body("Empty or invalid json", "the body names no column");
        }
        Planner.checkColumns(relation, columns);
        Planner.checkFields(relation, p);
        WritePlan.Conflict conflict = null;
        if (prefer.resolution() != null) {
            List<String> on = p.onConflict() != null ? p.onConflict() : relation.key();
            for (String c : on) {
                relation.column(c).orElseThrow(() -> ApiException.unknownColumn(relation.name(), c));
            }
            conflict = on.isEmpty() ? null : new WritePlan.Conflict(on, prefer.mergeDuplicates());
        }
        return new WritePlan(WritePlan.Kind.INSERT, relation, columns, body, List.of(), p.order(), null, 0,
                returning(p, prefer), conflict, defaults(relation, columns, prefer), stripNulls);
    }

    /**
     * PUT: one object that replaces the row the URL names, or is inserted. The filters must be
     * {@code eq} on every key column and nothing else (405 PGRST105), limit/offset are refused
     * (400 PGRST114); a body whose key differs from the URL's is refused when run (PGRST115).
     */
    public static WritePlan put(Relation relation, RequestParams p, String body, Preferences prefer, boolean stripNulls) {
        if (p.windowed()) {
            throw new ApiException(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT", null, null);
        }
        Set<String> filtered = new HashSet<>();
        boolean onlyEq = true;
        for (Condition c : p.where()) {
            if (c instanceof Condition.Filter f && !f.negated() && f.op() == Operator.EQ && f.field().path().isEmpty()) {
                onlyEq &= filtered.add(f.field().column());
            } else {
                onlyEq = false;
            }
        }
        if (relation.key().isEmpty() || !onlyEq || !filtered.equals(new HashSet<>(relation.key()))) {
            throw new ApiException(405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators",
                    null, relation.key().isEmpty() ? relation.name() + " has no primary key: PUT needs one"
                    : "Filter on " + String.join(", ", relation.key()) + " with eq, e.g. ?" + relation.key().get(0) + "=eq.<value>");
        }
        JsonNode doc = Planner.parse(body);
        if (!doc.isObject() || doc.isEmpty()) {
            throw ApiException.body("Empty or invalid json", "PUT takes one JSON object with the row's columns");
        }
        List<String> columns = new ArrayList<>();
        doc.fieldNames().forEachRemaining(columns::add);
        Planner.checkColumns(relation, columns);
        Planner.checkFields(relation, p);
        return new WritePlan(WritePlan.Kind.PUT, relation, columns, body, p.where(), p.order(), null, 0,
                returning(p, prefer), new WritePlan.Conflict(relation.key(), true), Map.of(), stripNulls);
    }

    public static WritePlan update(Relation relation, RequestParams p, String body, Preferences prefer, boolean stripNulls) {
        JsonNode doc = Planner.parse(body);
        if (!doc.isObject() || doc.isEmpty()) {
            throw ApiException.body("Empty or invalid json", "PATCH takes one JSON object with the columns to set");
        }
        List<String> columns = new ArrayList<>();
        doc.fieldNames().forEachRemaining(columns::add);
        Planner.checkColumns(relation, columns);
        Planner.checkFields(relation, p);
        requireRowIdentity(relation, p);
        return new WritePlan(WritePlan.Kind.UPDATE, relation, columns, body, p.where(), p.order(), p.limit(), p.offset(),
                returning(p, prefer), null, Map.of(), stripNulls);
    }

    public static WritePlan delete(Relation relation, RequestParams p, Preferences prefer, boolean stripNulls) {
        Planner.checkFields(relation, p);
        requireRowIdentity(relation, p);
        return new WritePlan(WritePlan.Kind.DELETE, relation, List.of(), null, p.where(), p.order(), p.limit(), p.offset(),
                returning(p, prefer), null, Map.of(), stripNulls);
    }

    /**
     * A window of the matching rows is picked first, then those rows are written: a table's rows
     * are found again by ctid (as PostgREST does), a view's by its key. A view without a key has
     * no way to name a row; PostgREST fails there with the missing ctid column, and so do we.
     */
    private static void requireRowIdentity(Relation relation, RequestParams p) {
        if (p.windowed() && !relation.table() && relation.key().isEmpty()) {
            throw new ApiException(400, "42703", "column \"ctid\" does not exist",
                    relation.name() + " is a view without a primary key of a base table among its columns",
                    "limit/offset on PATCH and DELETE need a table, or a view that shows its base table's primary key.");
        }
    }

    private static List<SelectItem> returning(RequestParams p, Preferences prefer) {
        return prefer.representation() ? p.select() : List.of();
    }

    private static Map<String, String> defaults(Relation relation, List<String> columns, Preferences prefer) {
        Map<String, String> out = new LinkedHashMap<>();
        if (prefer.missingDefault()) {
            for (String c : columns) {
                String d = relation.defaults().get(c);
                if (d != null) {
                    out.put(c, d);
                }
            }
        }
        return out;
    }
}
