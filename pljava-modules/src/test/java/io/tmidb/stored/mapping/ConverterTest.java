// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConverterTest {
    private static FieldSpec field(FieldType type) {
        return new FieldSpec("f", "$.f", type, false, null, null, TimeFormat.ISO8601, false);
    }

    private static String convert(FieldSpec f, String type, String text) throws ConversionException {
        return Converter.convert(f, new JsonValue(type, text));
    }

    @Test
    void numbersAcceptNumericStringsAndApplyScaleThenOffset() throws Exception {
        FieldSpec f = new FieldSpec("t", "$.t", FieldType.NUMBER, false, new BigDecimal("0.18"), new BigDecimal("32"),
                TimeFormat.ISO8601, false);
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
        FieldSpec required = new FieldSpec("f", "$.f", FieldType.NUMBER, false, null, null, TimeFormat.ISO8601, true);
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
}
