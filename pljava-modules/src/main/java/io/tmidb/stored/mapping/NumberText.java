// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Numbers as feeds write them in text: {@code " 42 "}, {@code "1,234.5"}, {@code "819 ms"},
 * {@code "12.5 °C"}. Commas are accepted only as thousands separators in groups of three before a
 * decimal point; any other comma ({@code "12,5"}), a dot as a thousands separator or a second
 * number is refused, because reading it either way would guess. A unit after the number is accepted
 * only when the field names it ({@code "unit"}), so a changed unit fails instead of storing a
 * value on another scale.
 */
final class NumberText {
    private static final Pattern NUMBER = Pattern.compile(
            "([+-]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|[+-]?\\.\\d+(?:[eE][+-]?\\d+)?)\\s*(.*)",
            Pattern.DOTALL);

    private NumberText() {
    }

    /** The value as a number, checking a written unit against {@code unit} (null: none expected). */
    static BigDecimal read(JsonValue v, String unit, String what) throws ConversionException {
        if ("number".equals(v.type())) {
            return new BigDecimal(v.text());
        }
        if (!v.isString()) {
            throw new ConversionException("is not " + what);
        }
        Matcher m = NUMBER.matcher(v.text().strip());
        if (!m.matches()) {
            throw new ConversionException("is not " + what);
        }
        String written = m.group(2).strip();
        if (!written.isEmpty() && (Character.isDigit(written.charAt(0)) || ",.".indexOf(written.charAt(0)) >= 0)) {
            throw new ConversionException("is not " + what + " (commas only separate thousands, as in 1,234.5)");
        }
        if (!written.isEmpty() && unit == null) {
            throw new ConversionException("has the unit \"" + written + "\"; add \"unit\": \"" + written
                    + "\" to the field to accept it");
        }
        if (!written.isEmpty() && !written.equals(unit)) {
            throw new ConversionException("has the unit \"" + written + "\", not \"" + unit + "\"");
        }
        return new BigDecimal(m.group(1).replace(",", ""));
    }
}
