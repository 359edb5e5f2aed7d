// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.stored.mapping.Values;

import java.util.List;

/**
 * The type a field should have, read from its values and checked with the mapping's own
 * converter: the share of present values the type converts is the field's confidence.
 *
 * @param type   {@code number}, {@code integer}, {@code text}, {@code boolean} or {@code timestamp}
 * @param unit   the unit written after the numbers, or null
 * @param trim   text values with white space around them
 * @param time   the format of a timestamp field, else null
 * @param share  the part of the present values the type reads
 * @param reason one line
 */
public record FieldGuess(String type, String unit, boolean trim, TimeGuess time, double share, String reason) {

    /** The type of a column, or null when its values are objects or arrays (nothing a field can hold). */
    public static FieldGuess of(Column c, boolean flagName) {
        List<JsonNode> v = c.first();
        int present = 0;
        int bools = 0;
        int numbers = 0;
        int integers = 0;
        int zeroOne = 0;
        int containers = 0;
        int padded = 0;
        String unit = null;
        boolean oneUnit = true;
        for (JsonNode x : v) {
            if (!Shapes.present(x)) {
                continue;
            }
            present++;
            if (x.isContainerNode()) {
                containers++;
                continue;
            }
            if (x.isBoolean() || Shapes.strictBoolean(x)) {
                bools++;
                continue;
            }
            if (x.isTextual() && !x.asText().equals(x.asText().strip())) {
                padded++;
            }
            double d = Shapes.number(x);
            if (Double.isNaN(d)) {
                String u = Shapes.unit(x);
                if (u != null) {
                    oneUnit &= unit == null || unit.equals(u);
                    unit = u;
                    String n = Values.convert("number", u, "string", x.asText());
                    d = n == null ? Double.NaN : Double.parseDouble(n);
                }
            }
            if (!Double.isNaN(d)) {
                numbers++;
                if (d == Math.rint(d) && Shapes.decimals(x) == 0) {
                    integers++;
                }
                if (d == 0 || d == 1) {
                    zeroOne++;
                }
            }
        }
        if (present == 0) {
            return new FieldGuess("text", null, false, null, 0, "no value in any item");
        }
        if (containers > present / 2) {
            return null;
        }
        if (bools == present) {
            return new FieldGuess("boolean", null, false, null, 1, "all " + present + " values are true/false");
        }
        if (numbers == present && zeroOne == present && flagName) {
            return new FieldGuess("boolean", null, false, null, 1, "only 1/0 values under a flag-like name");
        }
        if (numbers >= 0.95 * present && oneUnit) {
            String type = integers == numbers ? "integer" : "number";
            double share = verify(v, type, unit, present);
            return new FieldGuess(type, unit, false, null, share, numbers + " of " + present + " values are "
                    + (type.equals("integer") ? "integers" : "numbers") + (unit != null ? " written with \"" + unit + "\"" : ""));
        }
        TimeGuess t = TimeGuess.of(v);
        if (t != null && v.stream().anyMatch(x -> x != null && x.isTextual())) {
            return new FieldGuess("timestamp", null, false, t, t.share(), "times read as " + describe(t));
        }
        double share = (present - containers) / (double) present;
        return new FieldGuess("text", null, padded > 0, null, share, "text" + (padded > 0 ? ", padded with spaces (trimmed)" : ""));
    }

    static String describe(TimeGuess t) {
        return t.format().equals("pattern") ? "\"" + t.pattern() + "\"" : t.format();
    }

    private static double verify(List<JsonNode> v, String type, String unit, int present) {
        int ok = 0;
        for (JsonNode x : v) {
            if (Shapes.present(x) && Values.convert(type, unit, Shapes.jsonType(x), Shapes.text(x)) != null) {
                ok++;
            }
        }
        return ok / (double) present;
    }
}
