// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The query string of a resource or RPC request, sorted into PostgREST's reserved parameters
 * ({@code select, order, limit, offset, columns, on_conflict}), function arguments (names in
 * {@code argNames}) and filters (everything else). {@code columns} and {@code onConflict} are
 * null when not given.
 */
public record RequestParams(List<SelectItem> select, List<Condition> where, List<OrderItem> order,
                            Long limit, long offset, List<String> columns, List<String> onConflict,
                            Map<String, String> args) {

    private static final java.util.regex.Pattern FILTER = java.util.regex.Pattern.compile("(not\\.)?[a-z]+(\\([A-Za-z0-9_]+\\))?\\.");

    public static RequestParams parse(String rawQuery, Set<String> argNames) {
        return parse(rawQuery, argNames, false);
    }

    /** Parses a function call's query string: a parameter that is neither an argument nor a filter is an (unknown) argument. */
    public static RequestParams parseCall(String rawQuery, Set<String> argNames) {
        return parse(rawQuery, argNames, true);
    }

    private static RequestParams parse(String rawQuery, Set<String> argNames, boolean call) {
        List<SelectItem> select = List.of(SelectItem.all());
        List<Condition> where = new ArrayList<>();
        List<OrderItem> order = List.of();
        Long limit = null;
        long offset = 0;
        List<String> columns = null;
        List<String> onConflict = null;
        Map<String, String> args = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : QueryString.parse(rawQuery)) {
            String key = e.getKey();
            String value = e.getValue();
            switch (key) {
                case "select" -> select = Grammar.select(value);
                case "order" -> order = Grammar.order(value);
                case "limit" -> limit = Grammar.nonNegative("limit", value);
                case "offset" -> offset = Grammar.nonNegative("offset", value);
                case "columns" -> columns = names(value);
                case "on_conflict" -> onConflict = names(value);
                default -> {
                    if (argNames.contains(key) || call && !Grammar.isLogicKey(key) && !FILTER.matcher(value).lookingAt()) {
                        args.put(key, value);
                    } else if (Grammar.isLogicKey(key)) {
                        where.add(Grammar.logic(key, value));
                    } else {
                        where.add(Grammar.filter(key, value));
                    }
                }
            }
        }
        return new RequestParams(select, where, order, limit, offset, columns, onConflict, args);
    }

    /** Whether the request names a row window ({@code limit} or {@code offset}). */
    public boolean windowed() {
        return limit != null || offset > 0;
    }

    private static List<String> names(String value) {
        return Grammar.splitTopLevel(value, ',').stream().map(c -> Grammar.unquote(c.trim())).toList();
    }
}
