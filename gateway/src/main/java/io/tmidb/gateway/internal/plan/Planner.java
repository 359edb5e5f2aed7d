// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.FieldRef;
import io.tmidb.gateway.internal.request.OrderItem;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.request.RangeHeader;
import io.tmidb.gateway.internal.request.RequestParams;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Column;
import io.tmidb.gateway.internal.schema.Relation;
import io.tmidb.gateway.internal.schema.Routine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns parsed reads and calls into plans, checking every name against the schema cache's relation (writes: {@link WritePlanner}). */
public final class Planner {
    /** One JSON value per body: text after it ({@code {} x}) is malformed JSON, as PostgreSQL and PostgREST read it. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Planner() {
    }

    public static ReadPlan read(Relation relation, RequestParams p, RangeHeader range, Preferences.Count count, boolean stripNulls) {
        checkFields(relation, p);
        long offset = p.offset();
        Long limit = p.limit();
        if (range != null) {
            // the intersection of the Range header with offset/limit, as PostgREST does
            long last = limit == null ? Long.MAX_VALUE : offset + limit - 1;
            if (range.last() != null) {
                last = Math.min(last, range.last());
            }
            offset = Math.max(offset, range.first());
            limit = last == Long.MAX_VALUE ? null : Math.max(0, last - offset + 1);
        }
        return new ReadPlan(relation, p.select(), p.where(), p.order(), offset, limit, count, stripNulls);
    }

    /** Picks the overload whose arguments match and plans reading its result. */
    public static CallPlan call(List<Routine> overloads, String qualifiedName, Map<String, String> args,
                                RequestParams p, RangeHeader range, Preferences.Count count, boolean stripNulls) {
        Routine routine = overloads.stream().filter(r -> r.accepts(args.keySet())).findFirst()
                .orElseThrow(() -> new ApiException(404, "PGRST202", "Could not find the function " + qualifiedName
                        + "(" + String.join(", ", args.keySet()) + ") in the schema cache", null,
                        "Call it with the names of its arguments; the OpenAPI document at / lists them."));
        boolean rows = routine.returnsSet() || !routine.resultColumns().isEmpty();
        if (!rows && (!p.where().isEmpty() || !p.order().isEmpty())) {
            throw ApiException.parse("filters and order apply to functions that return rows",
                    qualifiedName + " returns a single value");
        }
        ReadPlan read = rows ? read(routine.asRelation(), p, range, count, stripNulls) : null;
        return new CallPlan(routine, args, read);
    }

    /**
     * The arguments of a POST /rpc call: the keys of its JSON object body, as text. A string is its
     * text, except for the arguments named in {@code jsonArgs} (of type json or jsonb), which take
     * every value as JSON, as PostgREST's {@code json_to_record} does: {@code "on"} stays a JSON string.
     */
    public static Map<String, String> args(String body, Set<String> jsonArgs) {
        Map<String, String> args = new LinkedHashMap<>();
        if (body == null || body.isBlank()) {
            return args;
        }
        JsonNode doc = parse(body);
        if (!doc.isObject()) {
            throw ApiException.body("Empty or invalid json", "the arguments must be a JSON object");
        }
        for (Map.Entry<String, JsonNode> e : doc.properties()) {
            JsonNode v = e.getValue();
            args.put(e.getKey(), v.isNull() ? null : v.isTextual() && !jsonArgs.contains(e.getKey()) ? v.asText() : v.toString());
        }
        return args;
    }

    /**
     * A document stored as sent (the webhook's payload): any one JSON value, checked here so that
     * malformed JSON is {@code PGRST102} like any other body, and returned as the client's own
     * text, which the database reads as jsonb without losing digits of its numbers.
     */
    public static String document(String body) {
        parse(body);
        return body;
    }

    static JsonNode parse(String body) {
        try {
            JsonNode n = JSON.readTree(body == null ? "" : body);
            if (n == null || n.isMissingNode()) {
                throw ApiException.body("Empty or invalid json", "the request body is empty");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw ApiException.body("Empty or invalid json", e.getOriginalMessage());
        }
    }

    static void checkColumns(Relation relation, List<String> columns) {
        for (String c : columns) {
            if (relation.column(c).isEmpty()) {
                throw new ApiException(400, "PGRST204", "Could not find the '" + c + "' column of '" + relation.name()
                        + "' in the schema cache", null, "Send only the relation's columns; the OpenAPI document at / lists them.");
            }
        }
    }

    static void checkFields(Relation relation, RequestParams p) {
        for (SelectItem s : p.select()) {
            if (!s.star()) {
                check(relation, s.field());
            }
        }
        for (Condition c : p.where()) {
            checkCondition(relation, c);
        }
        for (OrderItem o : p.order()) {
            check(relation, o.field());
        }
    }

    private static void checkCondition(Relation relation, Condition c) {
        if (c instanceof Condition.Filter f) {
            check(relation, f.field());
        } else if (c instanceof Condition.Logic l) {
            l.children().forEach(child -> checkCondition(relation, child));
        }
    }

    private static void check(Relation relation, FieldRef f) {
        Column col = relation.column(f.column()).orElseThrow(() -> ApiException.unknownColumn(relation.name(), f.column()));
        if (!f.path().isEmpty() && !col.json()) {
            throw ApiException.parse("failed to parse field \"" + f.column() + "\"",
                    "column " + f.column() + " is " + col.type() + ", not JSON: '->' and '->>' apply to json/jsonb columns only");
        }
    }
}
