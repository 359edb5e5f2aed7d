// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectsTest {
    private static final String ID = "0d6f7c1e-7a8b-4c2d-9e0f-123456789abc";

    @Test
    void eventTypeDotsSeparateTokens() {
        assertEquals("tmi.bike." + ID + ".target.created", Subjects.of("bike", ID, "target.created"));
        assertEquals("tmi.bike." + ID + ".obs", Subjects.of("bike", ID, "obs"));
        assertEquals("tmi.air_sensor." + ID + ".alarm.active", Subjects.of("air_sensor", ID, "alarm.active"));
    }

    @Test
    void missingPartsBecomeThePlaceholder() {
        assertEquals("tmi._._.schema.version", Subjects.of(null, null, "schema.version"));
        assertEquals("tmi._._._", Subjects.of("", null, null));
        assertEquals("tmi.k._._._._", Subjects.of("k", "", "..")); // three empty type tokens
    }

    @Test
    void wildcardsSpacesAndOtherCharactersAreReplaced() {
        assertEquals("tmi.a_b_c_d._.x_y._", Subjects.of("a b*c>d", null, "x\ty."));
        assertEquals("tmi.____.t.e", Subjects.of("자전거.", "t", "e"));
    }

    @Test
    void tokensAreCappedSoSubjectsStayShort() {
        String subject = Subjects.of("k".repeat(500), ID, "e".repeat(500));
        assertEquals(4 + 64 + 1 + 36 + 1 + 64, subject.length());
        assertTrue(subject.matches("tmi(\\.[A-Za-z0-9_-]+)+"), subject);
    }
}
