// SPDX-License-Identifier: MIT
package io.tmidb.stored.json;

import io.tmidb.stored.Ids;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonWriterTest {
    @Test
    void escapesWhatJsonRequires() {
        String json = new JsonWriter().beginObject().name("s").value("quote \" back \\ nl \n tab \t bell \u0007")
                .name("n").value(12L).name("d").value(0.1).name("null").value((String) null)
                .name("a").beginArray().value(1L).raw("true").endArray().endObject().toString();
        assertEquals("{\"s\":\"quote \\\" back \\\\ nl \\n tab \\t bell \\u0007\",\"n\":12,\"d\":0.1,\"null\":null,\"a\":[1,true]}", json);
        assertThrows(IllegalArgumentException.class, () -> new JsonWriter().value(Double.NaN));
    }

    @Test
    void idBatchesRoundTripAsArrayLiterals() {
        assertEquals("{1,22,333}", Ids.toArrayLiteral(new long[] {1, 22, 333}));
        assertArrayEquals(new long[] {1, 22, 333}, Ids.fromArrayLiteral("{1, 22,333}"));
        assertArrayEquals(new long[0], Ids.fromArrayLiteral("{}"));
        assertThrows(IllegalArgumentException.class, () -> Ids.fromArrayLiteral("1,2"));
    }
}
