// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import org.junit.jupiter.api.Test;

import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TimeFormatTest {
    private static String parse(TimeFormat f, String text) throws ConversionException {
        return f.parse(new JsonValue("string", text)).toString();
    }

    private static String failure(TimeFormat f, String type, String text) {
        return assertThrows(ConversionException.class, () -> f.parse(new JsonValue(type, text))).getMessage();
    }

    @Test
    void iso8601AcceptsWhatRfc3339AndSqlWrite() throws Exception {
        TimeFormat utc = TimeFormat.ISO8601;
        assertEquals("2026-11-20T00:00:00Z", parse(utc, "2026-11-20 00:00:00"));
        assertEquals("2026-11-20T00:00:00Z", parse(utc, "2026-11-20T00:00"));
        assertEquals("2026-11-20T00:00:00.123456Z", parse(utc, "2026-11-20 00:00:00.123456"));
        assertEquals("2026-11-19T15:00:00Z", parse(utc, "2026-11-20T00:00:00+09:00"));
        assertEquals("2026-11-19T15:00:00Z", parse(utc, "2026-11-20T00:00:00+0900"));
        assertEquals("2026-11-19T15:00:00Z", parse(utc, "2026-11-20 00:00:00+09"));
        assertEquals("2026-11-20T00:00:00Z", parse(utc, "2026-11-20 00:00:00+00"));
        assertEquals("2026-11-20T00:00:00.500Z", parse(utc, "2026-11-20t00:00:00.5z"));
        assertEquals("2026-11-20T05:30:00Z", parse(utc, " 2026-11-20T00:00:00-05:30 "));
        assertEquals("is not an ISO-8601 timestamp", failure(utc, "string", "20/11/2026 00:00"));
        assertEquals("is not an ISO-8601 timestamp", failure(utc, "string", "2026-11-20T25:00:00Z"));
        assertEquals("is 1795780800, not an ISO-8601 timestamp", failure(utc, "number", "1795780800"));
    }

    @Test
    void noOffsetMeansTheRulesTimezone() throws Exception {
        TimeFormat paris = TimeFormat.of("iso8601", null, "Europe/Paris");
        assertEquals("2026-11-19T23:00:00Z", parse(paris, "2026-11-20 00:00:00"));
        assertEquals("2026-07-19T22:00:00Z", parse(paris, "2026-07-20T00:00:00"));
        // an offset written in the value wins over the zone
        assertEquals("2026-11-20T00:00:00Z", parse(paris, "2026-11-20T00:00:00Z"));
        TimeFormat unknown = TimeFormat.of("iso8601", null, "Mars/Olympus_Mons");
        assertEquals("2026-11-20T00:00:00Z", parse(unknown, "2026-11-20T00:00:00Z"));
        assertEquals("has no offset and the time zone \"Mars/Olympus_Mons\" is unknown to this host's Java;"
                + " update its time zone data", failure(unknown, "string", "2026-11-20 00:00:00"));
    }

    @Test
    void patternsReadWhatIso8601DoesNot() throws Exception {
        TimeFormat dmy = TimeFormat.of("pattern", "dd/MM/yyyy HH:mm", "America/New_York");
        assertEquals("2026-11-20T18:30:00Z", parse(dmy, "20/11/2026 13:30"));
        assertEquals("does not match the pattern \"dd/MM/yyyy HH:mm\"", failure(dmy, "string", "2026-11-20 13:30"));
        assertEquals("does not match the pattern \"dd/MM/yyyy HH:mm\"", failure(dmy, "string", "31/02/2026 13:30"));
        assertEquals("2026-11-20T00:00:00Z", parse(TimeFormat.of("pattern", "yyyyMMdd", null), "20261120"));
        assertEquals("2026-11-20T13:30:00Z", parse(TimeFormat.of("pattern", "d MMM yyyy h:mm a", null), "20 Nov 2026 1:30 PM"));
        assertEquals("2026-11-20T12:30:00Z", parse(TimeFormat.of("pattern", "yyyy-MM-dd'T'HH:mmXXX", "Asia/Tokyo"),
                "2026-11-20T13:30+01:00"));
    }

    /** Every pattern letter run tmi.check_mapping_rule accepts is one java.time accepts. */
    @Test
    void everyLetterRunTheRuleCheckAllowsIsAValidPattern() {
        List<String> allowed = List.of("yyyy", "yy", "uuuu", "MMMM", "MMM", "MM", "M", "dd", "d", "HH", "H", "hh", "h",
                "mm", "m", "ss", "s", "S", "SS", "SSS", "SSSSSS", "SSSSSSSSS", "a", "EEE", "EEEE",
                "XXX", "XX", "X", "xxx", "xx", "x", "Z", "VV");
        for (String run : allowed) {
            assertDoesNotThrow(() -> DateTimeFormatter.ofPattern(run, Locale.ROOT), run);
        }
    }

    @Test
    void epochValuesOutsideTheUsualYearsNameTheLikelyFormat() throws Exception {
        assertEquals("2026-11-27T12:00:00Z", TimeFormat.EPOCH_S.parse(new JsonValue("number", "1795780800")).toString());
        assertEquals("is 1970-01-21T18:49:40.800Z as epoch milliseconds, not between 1990 and 2100;"
                + " as epoch_s it is 2026-11-27T12:00:00Z: use \"format\": \"epoch_s\"",
                failure(TimeFormat.EPOCH_MS, "number", "1795780800"));
        assertEquals("is +58876-01-11T00:00:00Z as epoch seconds, not between 1990 and 2100;"
                + " as epoch_ms it is 2026-11-27T12:00:00Z: use \"format\": \"epoch_ms\"",
                failure(TimeFormat.EPOCH_S, "number", "1795780800000"));
        assertEquals("is 1969-12-31T23:59:59Z as epoch seconds, not between 1990 and 2100",
                failure(TimeFormat.EPOCH_S, "number", "-1"));
        assertEquals("is +58876-01-11T00:00:00Z as epoch milliseconds, not between 1990 and 2100;"
                + " it looks like epoch microseconds, which no format reads",
                failure(TimeFormat.EPOCH_MS, "number", "1795780800000000"));
    }
}
