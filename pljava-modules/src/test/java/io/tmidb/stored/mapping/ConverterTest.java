// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConverterTest {
    private static FieldSpec field(FieldType type) {
        return new FieldSpec("f", "$.f", type, false, null, null, TimeFormat.ISO8601, false, null, false);
    }

    private static String convert(FieldSpec f, String type, String text) throws ConversionException {
        return Converter.convert(f, new JsonValue(type, text));
    }

    @Test
    void numbersAcceptNumericStringsAndApplyScaleThenOffset() throws Exception {
        FieldSpec f = new FieldSpec("t", "$.t", FieldType.NUMBER, false, new BigDecimal("0.18"), new BigDecimal("32"),
                TimeFormat.ISO8601, false, null, false);
        assertEquals("70.7", convert(f, "number", "215"));
        assertEquals("71.42", convert(f, "string", " 219 "));
        assertEquals("is not a number", assertThrows(ConversionException.class, () -> convert(f, "string", "hot")).getMessage());
        assertEquals("is not a number", assertThrows(ConversionException.class, () -> convert(f, "boolean", "true")).getMessage());
    }

    @Test
    void integersMustBeWhole() throws Exception {
        assertEquals("15", convert(field(FieldType.INTEGER), "number", "15.0"));
        assertEquals("-3", convert(field(FieldType.INTEGER), "string", "-3"));
        assertThrows(ConversionException.class, () -> convert(field(FieldType.INTEGER), "number", "1.5"));
        assertThrows(ConversionException.class, () -> convert(field(FieldType.INTEGER), "string", "many"));
    }

    @Test
    void textBooleansAndAbsence() throws Exception {
        assertEquals("\"a \\\"quoted\\\" name\"", convert(field(FieldType.TEXT), "string", "a \"quoted\" name"));
        assertEquals("\"42\"", convert(field(FieldType.TEXT), "number", "42"));
        assertThrows(ConversionException.class, () -> convert(field(FieldType.TEXT), "object", "{}"));
        assertEquals("true", convert(field(FieldType.BOOLEAN), "boolean", "true"));
        assertEquals("false", convert(field(FieldType.BOOLEAN), "string", "FALSE"));
        assertEquals("true", convert(field(FieldType.BOOLEAN), "number", "1"));
        assertThrows(ConversionException.class, () -> convert(field(FieldType.BOOLEAN), "number", "2"));
        assertNull(convert(field(FieldType.NUMBER), null, null));
        assertNull(convert(field(FieldType.NUMBER), "null", "null"));
        FieldSpec required = new FieldSpec("f", "$.f", FieldType.NUMBER, false, null, null, TimeFormat.ISO8601, true, null, false);
        assertEquals("is missing but required", assertThrows(ConversionException.class, () -> convert(required, null, null)).getMessage());
    }

    @Test
    void timestampsInEachFormat() throws Exception {
        assertEquals("2026-11-27T12:00:00Z", TimeFormat.EPOCH_S.parse(new JsonValue("number", "1795780800")).toString());
        assertEquals("2026-11-27T12:00:00.250Z", TimeFormat.EPOCH_S.parse(new JsonValue("string", "1795780800.25")).toString());
        assertEquals("2026-11-27T12:00:00Z", TimeFormat.EPOCH_MS.parse(new JsonValue("number", "1795780800000")).toString());
        assertEquals("2026-11-27T03:00:00Z", TimeFormat.ISO8601.parse(new JsonValue("string", "2026-11-27T12:00:00+09:00")).toString());
        assertEquals("2026-11-27T12:00:00Z", TimeFormat.ISO8601.parse(new JsonValue("string", "2026-11-27T12:00:00")).toString());
        assertThrows(ConversionException.class, () -> TimeFormat.ISO8601.parse(new JsonValue("string", "yesterday")));
        assertThrows(ConversionException.class, () -> TimeFormat.ISO8601.parse(new JsonValue("number", "1795780800")));
        assertThrows(ConversionException.class, () -> TimeFormat.EPOCH_S.parse(new JsonValue("number", "1e30")));
    }

    @Test
    void coordinatesAndIdentifiers() throws Exception {
        assertEquals(37.5, Converter.coordinate(new JsonValue("string", "37.5"), 90));
        assertEquals("is outside [-90, 90]",
                assertThrows(ConversionException.class, () -> Converter.coordinate(new JsonValue("number", "95"), 90)).getMessage());
        assertEquals("1234", Converter.identifier(new JsonValue("number", "1234")));
        assertThrows(ConversionException.class, () -> Converter.identifier(new JsonValue("array", "[1]")));
        assertThrows(ConversionException.class, () -> Converter.identifier(new JsonValue("string", "")));
    }

    private static FieldSpec withUnit(FieldType type, String unit) {
        return new FieldSpec("f", "$.f", type, false, null, null, TimeFormat.ISO8601, false, unit, false);
    }

    private static String failure(FieldSpec f, String type, String text) {
        return assertThrows(ConversionException.class, () -> convert(f, type, text)).getMessage();
    }

    @Test
    void numbersInsideText() throws Exception {
        assertEquals("42", convert(field(FieldType.NUMBER), "string", " 42 "));
        assertEquals("1234", convert(field(FieldType.INTEGER), "string", "1,234"));
        assertEquals("1234567.5", convert(field(FieldType.NUMBER), "string", "1,234,567.5"));
        assertEquals("-0.5", convert(field(FieldType.NUMBER), "string", "-.5"));
        assertEquals("819", convert(withUnit(FieldType.INTEGER, "ms"), "string", "819 ms"));
        assertEquals("819", convert(withUnit(FieldType.INTEGER, "ms"), "string", "819ms"));
        assertEquals("819", convert(withUnit(FieldType.INTEGER, "ms"), "string", "819"));
        assertEquals("819", convert(withUnit(FieldType.INTEGER, "ms"), "number", "819"));
        assertEquals("12.5", convert(withUnit(FieldType.NUMBER, "°C"), "string", "12.5 °C"));
        assertEquals("has the unit \"s\", not \"ms\"", failure(withUnit(FieldType.INTEGER, "ms"), "string", "2 s"));
        assertEquals("has the unit \"°F\", not \"°C\"", failure(withUnit(FieldType.NUMBER, "°C"), "string", "54.5°F"));
        assertEquals("has the unit \"ms\"; add \"unit\": \"ms\" to the field to accept it",
                failure(field(FieldType.NUMBER), "string", "819 ms"));
        // a comma that does not separate groups of three is a decimal comma or a list: refused, not guessed
        assertEquals("is not a number (commas only separate thousands, as in 1,234.5)",
                failure(field(FieldType.NUMBER), "string", "12,5"));
        assertEquals("is not a number (commas only separate thousands, as in 1,234.5)",
                failure(field(FieldType.NUMBER), "string", "1.234.567"));
        assertEquals("is not a number (commas only separate thousands, as in 1,234.5)",
                failure(field(FieldType.NUMBER), "string", "1,23"));
        assertEquals("is not an integer", failure(field(FieldType.INTEGER), "string", "ms 819"));
        assertEquals("is not a number", failure(field(FieldType.NUMBER), "string", ""));
    }

    @Test
    void booleansAreTrueFalseYesNoOneZero() throws Exception {
        FieldSpec b = field(FieldType.BOOLEAN);
        for (String[] c : new String[][] {{"boolean", "true", "true"}, {"boolean", "false", "false"},
                {"string", "true", "true"}, {"string", " FALSE ", "false"}, {"string", "yes", "true"},
                {"string", "No", "false"}, {"number", "1", "true"}, {"number", "0", "false"},
                {"string", "1", "true"}, {"string", "0", "false"}}) {
            assertEquals(c[2], convert(b, c[0], c[1]), c[1]);
        }
        for (String[] c : new String[][] {{"number", "2"}, {"number", "1.0"}, {"string", "y"}, {"string", "on"},
                {"string", ""}, {"array", "[true]"}}) {
            assertEquals("is not a boolean (true/false, yes/no or 1/0)", failure(b, c[0], c[1]), c[1]);
        }
    }

    @Test
    void textIsTrimmedWhenTheFieldSaysSoAndIdentifiersAlways() throws Exception {
        FieldSpec trimmed = new FieldSpec("f", "$.f", FieldType.TEXT, false, null, null, TimeFormat.ISO8601, false, null, true);
        assertEquals("\"KLM 123\"", convert(trimmed, "string", "  KLM 123  "));
        assertEquals("\"  KLM 123  \"", convert(field(FieldType.TEXT), "string", "  KLM 123  "));
        assertEquals("FLT000", Converter.identifier(new JsonValue("string", "FLT000  ")));
        assertEquals("is blank", assertThrows(ConversionException.class,
                () -> Converter.identifier(new JsonValue("string", "   "))).getMessage());
    }
}
