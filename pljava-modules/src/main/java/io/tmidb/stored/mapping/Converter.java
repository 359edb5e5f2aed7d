// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import io.tmidb.stored.json.JsonWriter;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/**
 * Turns a found value into its field's type, as JSON text for the stored document. Numbers may
 * arrive as text (see {@link NumberText}); everything else that does not fit is an error whose
 * message says why.
 */
final class Converter {
    private Converter() {
    }

    /** The value as JSON text, or null when it is absent and not required. */
    static String convert(FieldSpec f, JsonValue v) throws ConversionException {
        if (v.absent()) {
            if (f.required()) {
                throw new ConversionException("is missing but required");
            }
            return null;
        }
        return switch (f.type()) {
            case NUMBER -> {
                BigDecimal n = NumberText.read(v, f.unit(), "a number");
                if (f.scale() != null) {
                    n = n.multiply(f.scale());
                }
                if (f.offset() != null) {
                    n = n.add(f.offset());
                }
                yield n.stripTrailingZeros().toPlainString();
            }
            case INTEGER -> {
                BigDecimal n = NumberText.read(v, f.unit(), "an integer");
                try {
                    BigInteger i = n.stripTrailingZeros().toBigIntegerExact();
                    yield i.toString();
                } catch (ArithmeticException e) {
                    throw new ConversionException("is not an integer");
                }
            }
            case TEXT -> {
                if ("object".equals(v.type()) || "array".equals(v.type())) {
                    throw new ConversionException("is an " + v.type() + ", not text");
                }
                yield new JsonWriter().value(f.trim() ? v.text().strip() : v.text()).toString();
            }
            case BOOLEAN -> bool(v);
            case TIMESTAMP -> new JsonWriter().value(f.format().parse(v).toString()).toString();
        };
    }

    /** true, false, "true", "false", "yes", "no" (any case, trimmed), 1, 0, "1" and "0"; nothing else. */
    static String bool(JsonValue v) throws ConversionException {
        if ("boolean".equals(v.type())) {
            return v.text();
        }
        if ("number".equals(v.type()) || v.isString()) {
            switch (v.text().strip().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "1" -> {
                    return "true";
                }
                case "false", "no", "0" -> {
                    return "false";
                }
                default -> {
                }
            }
        }
        throw new ConversionException("is not a boolean (true/false, yes/no or 1/0)");
    }

    /** A number in [-limit, limit] for a coordinate, or an error. */
    static double coordinate(JsonValue v, double limit) throws ConversionException {
        BigDecimal n = v.number().orElseThrow(() -> new ConversionException("is not a number"));
        double d = n.doubleValue();
        if (d < -limit || d > limit) {
            throw new ConversionException("is outside [-" + (int) limit + ", " + (int) limit + "]");
        }
        return d;
    }

    /** An identifier (key or name): a string (trimmed: feeds pad fixed-width codes) or a number. */
    static String identifier(JsonValue v) throws ConversionException {
        if ("string".equals(v.type()) || "number".equals(v.type())) {
            String id = v.text().strip();
            if (id.isEmpty()) {
                throw new ConversionException(v.text().isEmpty() ? "is an empty string" : "is blank");
            }
            return id;
        }
        throw new ConversionException(v.absent() ? "is missing" : "is " + v.describe() + ", not a string or number");
    }
}
