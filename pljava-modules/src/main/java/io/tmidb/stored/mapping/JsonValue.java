// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * A value found at a path, as PostgreSQL returns it: its {@code jsonb_typeof} and its text
 * ({@code #>> '{}'}: strings unquoted, containers as JSON). A path that found nothing has type null.
 */
record JsonValue(String type, String text) {
    static final JsonValue MISSING = new JsonValue(null, null);

    /** Nothing there, or JSON null. */
    boolean absent() {
        return type == null || "null".equals(type);
    }

    boolean isString() {
        return "string".equals(type);
    }

    /** The value as a number: a JSON number, or a string holding one. */
    Optional<BigDecimal> number() {
        if (!"number".equals(type) && !"string".equals(type)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new BigDecimal(text.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** For messages: the value as written, shortened. */
    String describe() {
        if (absent()) {
            return "missing";
        }
        String shown = isString() ? '"' + text + '"' : text;
        return (shown.length() > 60 ? shown.substring(0, 57) + "..." : shown) + (isString() || "number".equals(type) ? "" : " (" + type + ")");
    }
}
