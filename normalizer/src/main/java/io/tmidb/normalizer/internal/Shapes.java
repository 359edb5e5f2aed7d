// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.stored.mapping.Values;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How single values look: their JSON type and text as PostgreSQL hands them to a rule, numbers
 * written as text (with a unit), booleans. What a rule accepts is decided by
 * {@link Values}, the mapping's own rules.
 */
public final class Shapes {
    /** A leading number and what follows it; the rule's converter decides whether that is a unit. */
    private static final Pattern NUMBER_THEN = Pattern.compile("\\s*[+-]?[0-9][0-9,]*(?:\\.[0-9]*)?(?:[eE][+-]?[0-9]+)?\\s*(.*)",
            Pattern.DOTALL);
    private static final Pattern UNIT = Pattern.compile("[^\\s0-9.,+-][^0-9]{0,7}");

    private Shapes() {
    }

    public static boolean present(JsonNode v) {
        return v != null && !v.isNull();
    }

    /** {@code jsonb_typeof} of the value. */
    public static String jsonType(JsonNode v) {
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return "string";
        }
        if (v.isNumber()) {
            return "number";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        if (v.isObject()) {
            return "object";
        }
        return v.isArray() ? "array" : "null";
    }

    /** The value's text ({@code #>> '{}'}). */
    public static String text(JsonNode v) {
        return v == null ? null : v.isValueNode() ? v.asText() : v.toString();
    }

    /** The value as a number (a JSON number or a number in text, without unit) that a double holds, or NaN. */
    public static double number(JsonNode v) {
        if (v == null) {
            return Double.NaN;
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isTextual()) {
            String s = Values.convert("number", null, "string", v.asText());
            double d = s == null ? Double.NaN : Double.parseDouble(s);
            // a code such as "3e8012" reads as a number no double holds: it is no quantity
            return Double.isInfinite(d) ? Double.NaN : d;
        }
        return Double.NaN;
    }

    /** The unit written after a number in text ({@code "12.5 °C"} → {@code °C}), or null. */
    public static String unit(JsonNode v) {
        if (v == null || !v.isTextual()) {
            return null;
        }
        Matcher m = NUMBER_THEN.matcher(v.asText().strip());
        if (!m.matches()) {
            return null;
        }
        String u = m.group(1).strip();
        if (u.isEmpty() || !UNIT.matcher(u).matches() || Values.convert("number", u, "string", v.asText()) == null) {
            return null;
        }
        return u;
    }

    public static boolean strictBoolean(JsonNode v) {
        if (v == null) {
            return false;
        }
        if (v.isBoolean()) {
            return true;
        }
        if (!v.isTextual()) {
            return false;
        }
        String s = v.asText().strip().toLowerCase(java.util.Locale.ROOT);
        return s.equals("true") || s.equals("false") || s.equals("yes") || s.equals("no");
    }

    /** Decimal digits written after the point. */
    public static int decimals(JsonNode v) {
        String s = v.isNumber() ? v.asText() : v.isTextual() ? v.asText().strip() : "";
        int e = Math.max(s.indexOf('e'), s.indexOf('E'));
        if (e >= 0) {
            s = s.substring(0, e);
        }
        int dot = s.indexOf('.');
        return dot < 0 ? 0 : s.length() - dot - 1;
    }
}
