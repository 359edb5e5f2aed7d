// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;

/**
 * How a timestamp is written in a document: a style ({@code iso8601}, {@code epoch_s},
 * {@code epoch_ms} or {@code pattern}), the pattern of the last, and the time zone of times
 * written without an offset. tmi.check_mapping_rule() has validated all three.
 */
record TimeFormat(Style style, DateTimeFormatter pattern, String patternText, ZoneId zone, String zoneName) {
    enum Style { ISO8601, EPOCH_S, EPOCH_MS, PATTERN }

    static final TimeFormat ISO8601 = of(null, null, null);
    static final TimeFormat EPOCH_S = of("epoch_s", null, null);
    static final TimeFormat EPOCH_MS = of("epoch_ms", null, null);

    private static final Instant MIN = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant MAX = Instant.parse("9999-12-31T23:59:59Z");
    /** Epoch values outside these years are far more likely a wrong unit than a real time. */
    private static final Instant EPOCH_MIN = Instant.parse("1990-01-01T00:00:00Z");
    private static final Instant EPOCH_MAX = Instant.parse("2100-01-01T00:00:00Z");

    /**
     * RFC 3339 and what SQL writes: a date, {@code T} or a space, a time with optional seconds and
     * fraction, then optionally {@code Z} or an offset as {@code +09:00}, {@code +0900} or {@code +09}.
     */
    private static final DateTimeFormatter ISO = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH:mm", "Z").optionalEnd()
            .toFormatter(Locale.ROOT);

    /** From a rule's {@code format}, {@code pattern} and {@code timezone} (each may be null). */
    static TimeFormat of(String format, String pattern, String timezone) {
        Style style = format == null ? Style.ISO8601 : Style.valueOf(format.toUpperCase(Locale.ROOT));
        // strict, so 31/02 fails instead of becoming 28/02; yyyy (year of era) then needs the era, which is ours
        DateTimeFormatter p = style == Style.PATTERN ? new DateTimeFormatterBuilder().appendPattern(pattern)
                .parseDefaulting(ChronoField.ERA, 1).toFormatter(Locale.ROOT).withResolverStyle(ResolverStyle.STRICT) : null;
        ZoneId zone = ZoneOffset.UTC;
        if (timezone != null) {
            try {
                zone = ZoneId.of(timezone);
            } catch (DateTimeException e) {
                // PostgreSQL's time zone data knew the name (the rule passed its check), this JVM's does
                // not: times that need the zone fail with the reason instead of stopping the batch
                zone = null;
            }
        }
        return new TimeFormat(style, p, pattern, zone, timezone);
    }

    /** Parses a JSON value (its jsonb type and text) or throws with the reason. */
    Instant parse(JsonValue v) throws ConversionException {
        Instant t = switch (style) {
            case ISO8601 -> local(isoT(text(v, "an ISO-8601 timestamp")), ISO, "is not an ISO-8601 timestamp");
            case PATTERN -> local(text(v, "a timestamp"), pattern,
                    "does not match the pattern \"" + patternText + "\"");
            case EPOCH_S, EPOCH_MS -> epoch(v);
        };
        if (t.isBefore(MIN) || t.isAfter(MAX)) {
            throw new ConversionException("is outside years 1 to 9999");
        }
        return t;
    }

    private static String text(JsonValue v, String what) throws ConversionException {
        if (!v.isString()) {
            throw new ConversionException("is " + v.describe() + ", not " + what);
        }
        return v.text().strip();
    }

    /** SQL separates date and time with a space where RFC 3339 writes T (RFC 3339 allows both). */
    private static String isoT(String s) {
        return s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
    }

    /** A time with an offset or zone is that instant; one without is read in the rule's zone. */
    private Instant local(String s, DateTimeFormatter f, String reason) throws ConversionException {
        try {
            TemporalAccessor parsed = f.parseBest(s, ZonedDateTime::from, OffsetDateTime::from, LocalDateTime::from,
                    LocalDate::from);
            if (parsed instanceof ZonedDateTime z) {
                return z.toInstant();
            }
            if (parsed instanceof OffsetDateTime o) {
                return o.toInstant();
            }
            if (zone == null) {
                throw new ConversionException("has no offset and the time zone \"" + zoneName
                        + "\" is unknown to this host's Java; update its time zone data");
            }
            LocalDateTime local = parsed instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) parsed;
            return local.atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConversionException(reason);
        }
    }

    private Instant epoch(JsonValue v) throws ConversionException {
        String unit = style == Style.EPOCH_S ? "epoch seconds" : "epoch milliseconds";
        BigDecimal n = v.number().orElseThrow(() -> new ConversionException("is " + v.describe() + ", not " + unit));
        Instant t = epochMillis(style == Style.EPOCH_S ? n.movePointRight(3) : n);
        if (plausible(t)) {
            return t;
        }
        // the usual mistake is the unit: say which format would give a plausible time
        StringBuilder reason = new StringBuilder("is ").append(t == null ? "out of the time range" : t.toString())
                .append(" as ").append(unit).append(", not between 1990 and 2100");
        for (Style other : new Style[] {Style.EPOCH_S, Style.EPOCH_MS}) {
            Instant alt = epochMillis(other == Style.EPOCH_S ? n.movePointRight(3) : n);
            if (other != style && plausible(alt)) {
                reason.append("; as ").append(other.name().toLowerCase(Locale.ROOT)).append(" it is ").append(alt)
                        .append(": use \"format\": \"").append(other.name().toLowerCase(Locale.ROOT)).append('"');
            }
        }
        if (plausible(epochMillis(n.movePointLeft(3)))) {
            reason.append("; it looks like epoch microseconds, which no format reads");
        }
        throw new ConversionException(reason.toString());
    }

    private static boolean plausible(Instant t) {
        return t != null && !t.isBefore(EPOCH_MIN) && t.isBefore(EPOCH_MAX);
    }

    /** Milliseconds since the epoch (with a fraction) as an instant, or null when far out of range. */
    private static Instant epochMillis(BigDecimal millis) {
        BigDecimal whole = millis.setScale(0, RoundingMode.FLOOR);
        if (whole.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 2)) > 0) {
            return null;
        }
        return Instant.ofEpochMilli(whole.longValue()).plusNanos(millis.subtract(whole).movePointRight(6).longValue());
    }
}
