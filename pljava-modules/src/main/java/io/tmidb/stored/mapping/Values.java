// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.time.Instant;
import java.util.Locale;

/**
 * The value rules of a mapping rule, for code outside this package that must read values exactly
 * as a rule will (the normalizer checks what it suggests with them): one definition, here.
 * Values come as PostgreSQL hands them over: a {@code jsonb_typeof} and the text.
 */
public final class Values {
    private Values() {
    }

    /**
     * The value as a field of {@code type} ({@code number}, {@code integer}, {@code text},
     * {@code boolean}) with {@code unit} (or null) stores it, as JSON text; null when the value does
     * not fit (the item would fail).
     */
    public static String convert(String type, String unit, String jsonType, String text) {
        FieldType t = FieldType.of(type);
        if (t == FieldType.TIMESTAMP) {
            throw new IllegalArgumentException("timestamps are read by a TimeReader");
        }
        try {
            return Converter.convert(new FieldSpec("v", "$", t, false, null, null, null, false, unit, false),
                    new JsonValue(jsonType, text));
        } catch (ConversionException e) {
            return null;
        }
    }

    /** Reads timestamps as a rule's {@code timestamp} with this format, pattern and timezone does. */
    public static final class TimeReader {
        private final TimeFormat format;

        /** {@code format} as in a rule (null: iso8601); the pattern and zone are not checked here. */
        public TimeReader(String format, String pattern, String timezone) {
            this.format = TimeFormat.of(format == null || format.equals("iso8601") ? null : format.toLowerCase(Locale.ROOT),
                    pattern, timezone);
        }

        /** The instant, or null when the value does not read (the item would fail). */
        public Instant read(String jsonType, String text) {
            try {
                return format.parse(new JsonValue(jsonType, text));
            } catch (ConversionException e) {
                return null;
            }
        }
    }
}
