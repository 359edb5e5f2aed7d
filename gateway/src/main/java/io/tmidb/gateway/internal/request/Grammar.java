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
    /** A text search configuration name, as {@code fts(english)} gives it; it travels as a parameter cast to regconfig. */
    private static final java.util.regex.Pattern LANGUAGE = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

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
        String opText = rest.substring(0, dot);
        String argument = null;
        int paren = opText.indexOf('(');
        if (paren > 0 && opText.endsWith(")")) {
            argument = opText.substring(paren + 1, opText.length() - 1);
            opText = opText.substring(0, paren);
        }
        String opName = opText;
        Operator op = Operator.byName(opName).orElseThrow(() -> ApiException.parse("failed to parse filter (" + whole + ")",
                "unknown operator '" + opName + "'; supported: " + Operator.NAMES));
        String value = rest.substring(dot + 1);
        if (op == Operator.IN) {
            if (argument != null || value.length() < 2 || value.charAt(0) != '(' || value.charAt(value.length() - 1) != ')') {
                throw ApiException.parse("failed to parse filter (" + whole + ")", "in takes a list in parentheses: in.(a,b)");
            }
            return new Condition.Filter(field, negated, op, listValues(value.substring(1, value.length() - 1), whole));
        }
        if (op == Operator.IS && (argument != null
                || !Set.of("null", "not_null", "true", "false", "unknown").contains(value.toLowerCase(java.util.Locale.ROOT)))) {
            throw ApiException.parse("failed to parse filter (" + whole + ")", "is takes null, not_null, true, false or unknown");
        }
        String quantifier = null;
        String language = null;
        if (argument != null) {
            if (op.fullText() && LANGUAGE.matcher(argument).matches()) {
                language = argument;
            } else if (op.quantifiable() && (argument.equals("any") || argument.equals("all"))) {
                quantifier = argument.toUpperCase(java.util.Locale.ROOT);
                if (value.length() < 2 || value.charAt(0) != '{' || value.charAt(value.length() - 1) != '}') {
                    throw ApiException.parse("failed to parse filter (" + whole + ")",
                            opName + "(" + argument + ") takes a list in braces: " + opName + "(" + argument + ").{a,b}");
                }
            } else {
                throw ApiException.parse("failed to parse filter (" + whole + ")", op.fullText()
                        ? "the language of " + opName + " is a text search configuration name, e.g. " + opName + "(english)"
                        : op.quantifiable() ? opName + " takes (any) or (all)" : opName + " takes no modifier");
            }
        }
        return new Condition.Filter(field, negated, op, List.of(inLogic ? unquote(value) : value), quantifier, language);
    }

    /**
     * The elements of an {@code in} list, as PostgREST reads them: an element in double quotes may
     * hold {@code ,} and {@code )}, and a backslash in it takes the next character as it is
     * ({@code \"} and {@code \\}); any other element runs to the next comma, quotes included.
     */
    static List<String> listValues(String inner, String whole) {
        List<String> values = new ArrayList<>();
        if (inner.isEmpty()) {
            return values;
        }
        int i = 0;
        while (true) {
            String element = null;
            int end = -1;
            while (i < inner.length() - 1 && inner.charAt(i) == ' ') {
                i++;
            }
            if (inner.charAt(i) == '"') {
                StringBuilder quoted = new StringBuilder();
                int j = i + 1;
                while (j < inner.length() && inner.charAt(j) != '"') {
                    if (inner.charAt(j) == '\\' && j + 1 < inner.length()) {
                        j++;
                    }
                    quoted.append(inner.charAt(j++));
                }
                if (j < inner.length() && (j + 1 == inner.length() || inner.charAt(j + 1) == ',')) {
                    element = quoted.toString();
                    end = j + 1;
                }
            }
            if (element == null) {
                end = inner.indexOf(',', i);
                end = end < 0 ? inner.length() : end;
                element = inner.substring(i, end).trim();
                if (element.indexOf(')') >= 0) {
                    throw ApiException.parse("failed to parse filter (" + whole + ")",
                            "a list element with ')' or ',' must be in double quotes: \"" + element + "\"");
                }
            }
            values.add(element);
            if (end >= inner.length()) {
                return values;
            }
            i = end + 1;
            if (i >= inner.length()) {
                values.add("");
                return values;
            }
        }
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

    /**
     * Splits on {@code sep} outside parentheses, braces (array literals such as {@code cs.{a,b}}
     * inside a logic tree) and double quotes.
     */
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
            } else if (ch == '(' || ch == '{') {
                depth++;
            } else if (ch == ')' || ch == '}') {
                depth--;
                if (depth < 0) {
                    throw ApiException.parse("failed to parse (" + s + ")", "unbalanced parentheses or braces");
                }
            } else if (ch == sep && depth == 0) {
                out.add(s.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0 || quoted) {
            throw ApiException.parse("failed to parse (" + s + ")", quoted ? "unterminated double quote" : "unbalanced parentheses or braces");
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
