// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;

/** How a timestamp is written in a document. ISO-8601 without an offset is read as UTC. */
public enum TimeFormat {
    ISO8601, EPOCH_S, EPOCH_MS;

    private static final Instant MIN = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant MAX = Instant.parse("9999-12-31T23:59:59Z");

    static TimeFormat of(String name) {
        return name == null ? ISO8601 : valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Parses a JSON value (its jsonb type and text) or throws with the reason. */
    Instant parse(JsonValue v) throws ConversionException {
        Instant t = switch (this) {
            case ISO8601 -> {
                if (!v.isString()) {
                    throw new ConversionException("is " + v.describe() + ", not an ISO-8601 timestamp");
                }
                yield iso(v.text());
            }
            case EPOCH_S, EPOCH_MS -> {
                BigDecimal n = v.number().orElseThrow(() ->
                        new ConversionException("is " + v.describe() + ", not " + (this == EPOCH_S ? "epoch seconds" : "epoch milliseconds")));
                BigDecimal millis = this == EPOCH_S ? n.movePointRight(3) : n;
                try {
                    yield Instant.ofEpochMilli(millis.longValueExact());
                } catch (ArithmeticException e) {
                    BigDecimal whole = millis.setScale(0, java.math.RoundingMode.FLOOR);
                    if (whole.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 2)) > 0) {
                        throw new ConversionException("is out of the time range");
                    }
                    yield Instant.ofEpochMilli(whole.longValue()).plusNanos(millis.subtract(whole).movePointRight(6).longValue());
                }
            }
        };
        if (t.isBefore(MIN) || t.isAfter(MAX)) {
            throw new ConversionException("is outside years 1 to 9999");
        }
        return t;
    }

    private static Instant iso(String s) throws ConversionException {
        try {
            TemporalAccessor parsed = DateTimeFormatter.ISO_DATE_TIME.parseBest(s.strip(),
                    java.time.OffsetDateTime::from, LocalDateTime::from);
            return parsed instanceof LocalDateTime local ? local.toInstant(ZoneOffset.UTC)
                    : java.time.OffsetDateTime.from(parsed).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConversionException("is not an ISO-8601 timestamp");
        }
    }
}
