// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Parsers for PostgREST's URL grammar: {@code select}, filters ({@code field=[not.]op.value}),
 * {@code or=(...)}/{@code and=(...)} trees and {@code order}. Parsing only builds values; names are
 * checked against the schema cache by the planner, and values always travel as query parameters.
 */
public final class Grammar {
    /** Casts allowed in {@code select=field::type}: a closed list, since a type name is SQL text. */
    static final Set<String> CASTS = Set.of("text", "integer", "int", "bigint", "numeric", "double precision", "float8",
            "real", "boolean", "bool", "json", "jsonb", "date", "timestamptz", "timestamp", "uuid");
    private static final int MAX_DEPTH = 16;

    private Grammar() {
    }

    public static List<SelectItem> select(String value) {
        List<SelectItem> items = new ArrayList<>();
        for (String raw : splitTopLevel(value, ',')) {
            String item = raw.trim();
            if (item.isEmpty()) {
                throw ApiException.parse("failed to parse select parameter (" + value + ")", "an empty item");
            }
            if (item.equals("*")) {
                items.add(SelectItem.all());
                continue;
            }
            if (item.contains("(") || item.startsWith("...")) {
                throw ApiException.parse("failed to parse select parameter (" + value + ")",
                        "resource embedding and aggregates are not supported: " + item);
            }
            String alias = null;
            int colon = item.indexOf(':');
            if (colon > 0 && !item.startsWith("::", colon)) {
                alias = item.substring(0, colon);
                item = item.substring(colon + 1);
            }
            String cast = null;
            int cc = item.indexOf("::");
            if (cc >= 0) {
                cast = item.substring(cc + 2).trim();
                item = item.substring(0, cc);
                if (!CASTS.contains(cast)) {
                    throw ApiException.parse("failed to parse select parameter (" + value + ")",
                            "unsupported cast '" + cast + "'; supported: " + CASTS.stream().sorted().toList());
                }
            }
            items.add(new SelectItem(false, alias, FieldRef.parse(item), cast));
        }
        return items;
    }

    /** A filter given as query parameter {@code key=value}. */
    public static Condition.Filter filter(String key, String value) {
        return opValue(FieldRef.parse(key), value, value, false);
    }

    /** {@code or=(...)}, {@code and=(...)}, {@code not.or=(...)}, {@code not.and=(...)}. */
    public static Condition logic(String key, String value) {
        boolean negated = key.startsWith("not.");
        boolean and = (negated ? key.substring(4) : key).equals("and");
        return logicBody(and, negated, value, value, 0);
    }

    public static boolean isLogicKey(String key) {
        return key.equals("or") || key.equals("and") || key.equals("not.or") || key.equals("not.and");
    }

    private static Condition logicBody(boolean and, boolean negated, String body, String whole, int depth) {
        if (depth > MAX_DEPTH) {
            throw ApiException.parse("failed to parse logic tree (" + whole + ")", "nested deeper than " + MAX_DEPTH);
        }
        if (body.length() < 2 || body.charAt(0) != '(' || body.charAt(body.length() - 1) != ')') {
            throw ApiException.parse("failed to parse logic tree (" + whole + ")", "expected a list in parentheses");
        }
        List<Condition> children = new ArrayList<>();
        for (String raw : splitTopLevel(body.substring(1, body.length() - 1), ',')) {
            String item = raw.trim();
            boolean not = item.startsWith("not.or(") || item.startsWith("not.and(");
            String rest = not ? item.substring(4) : item;
            if (rest.startsWith("or(") || rest.startsWith("and(")) {
                boolean childAnd = rest.startsWith("and(");
                children.add(logicBody(childAnd, not, rest.substring(childAnd ? 3 : 2), whole, depth + 1));
                continue;
            }
            int dot = item.indexOf('.');
            if (dot <= 0) {
                throw ApiException.parse("failed to parse logic tree (" + whole + ")", "expected field.operator.value, got '" + item + "'");
            }
            children.add(opValue(FieldRef.parse(item.substring(0, dot)), item.substring(dot + 1), whole, true));
        }
        if (children.isEmpty()) {
            throw ApiException.parse("failed to parse logic tree (" + whole + ")", "an empty list");
        }
        return new Condition.Logic(and, negated, children);
    }

    private static Condition.Filter opValue(FieldRef field, String text, String whole, boolean inLogic) {
        boolean negated = text.startsWith("not.");
        String rest = negated ? text.substring(4) : text;
        int dot = rest.indexOf('.');
        if (dot <= 0) {
            throw ApiException.parse("failed to parse filter (" + whole + ")", "expected operator.value, e.g. eq.42");
        }
        String opName = rest.substring(0, dot);
        Operator op = Operator.byName(opName).orElseThrow(() -> ApiException.parse("failed to parse filter (" + whole + ")",
                "unknown operator '" + opName + "'; supported: eq, neq, gt, gte, lt, lte, like, ilike, in, is, cs, cd"));
        String value = rest.substring(dot + 1);
        if (op == Operator.IN) {
            if (value.length() < 2 || value.charAt(0) != '(' || value.charAt(value.length() - 1) != ')') {
                throw ApiException.parse("failed to parse filter (" + whole + ")", "in takes a list in parentheses: in.(a,b)");
            }
            List<String> values = new ArrayList<>();
            String inner = value.substring(1, value.length() - 1);
            if (!inner.isEmpty()) {
                for (String v : splitTopLevel(inner, ',')) {
                    values.add(unquote(v.trim()));
                }
            }
            return new Condition.Filter(field, negated, op, values);
        }
        if (op == Operator.IS && !Set.of("null", "not_null", "true", "false", "unknown").contains(value.toLowerCase(java.util.Locale.ROOT))) {
            throw ApiException.parse("failed to parse filter (" + whole + ")", "is takes null, not_null, true, false or unknown");
        }
        return new Condition.Filter(field, negated, op, List.of(inLogic ? unquote(value) : value));
    }

    public static List<OrderItem> order(String value) {
        List<OrderItem> items = new ArrayList<>();
        for (String raw : splitTopLevel(value, ',')) {
            String[] parts = raw.trim().split("\\.");
            if (parts.length == 0 || parts[0].isEmpty() || parts.length > 3) {
                throw ApiException.parse("failed to parse order (" + value + ")", "expected field[.asc|.desc][.nullsfirst|.nullslast]");
            }
            boolean desc = false;
            Boolean nullsFirst = null;
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i]) {
                    case "asc" -> desc = false;
                    case "desc" -> desc = true;
                    case "nullsfirst" -> nullsFirst = true;
                    case "nullslast" -> nullsFirst = false;
                    default -> throw ApiException.parse("failed to parse order (" + value + ")", "unexpected '" + parts[i] + "'");
                }
            }
            items.add(new OrderItem(FieldRef.parse(parts[0]), desc, nullsFirst));
        }
        return items;
    }

    public static long nonNegative(String name, String value) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiException.parse("failed to parse " + name + " parameter (" + value + ")", "a non-negative integer is expected");
    }

    /** Splits on {@code sep} outside parentheses and double quotes. */
    public static List<String> splitTopLevel(String s, char sep) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quoted) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == '(') {
                depth++;
            } else if (ch == ')') {
                depth--;
                if (depth < 0) {
                    throw ApiException.parse("failed to parse (" + s + ")", "unbalanced parentheses");
                }
            } else if (ch == sep && depth == 0) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0 || quoted) {
            throw ApiException.parse("failed to parse (" + s + ")", quoted ? "unterminated double quote" : "unbalanced parentheses");
        }
        out.add(s.substring(start));
        return out;
    }

    /** A value or name without its double quotes (and backslash escapes), as the grammar allows them. */
    public static String unquote(String v) {
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            return v.substring(1, v.length() - 1).replaceAll("\\\\(.)", "$1");
        }
        return v;
    }
}
