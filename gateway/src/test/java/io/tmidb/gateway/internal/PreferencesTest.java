// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal;

import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.request.Preferences;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Prefer headers and the Accept media types as PostgREST reads them (no I/O). */
class PreferencesTest {

    @Test
    void everyPreferHeaderCountsAndTheFirstValueWins() {
        Preferences p = Preferences.parse(List.of("return=representation, count=planned", "handling=strict", "max-affected=5",
                "return=minimal", "resolution=ignore-duplicates, missing=default"));
        assertTrue(p.representation());
        assertEquals(Preferences.Count.PLANNED, p.count());
        assertFalse(p.countsRows());
        assertEquals(5L, p.strictMaxAffected());
        assertFalse(p.mergeDuplicates());
        assertTrue(p.missingDefault());
    }

    @Test
    void preferenceAppliedFollowsPostgrestsOrderAndScope() {
        Preferences p = Preferences.parse(List.of("max-affected=2, handling=strict, count=exact, return=minimal,"
                + " missing=default, resolution=merge-duplicates"));
        assertEquals("resolution=merge-duplicates, missing=default, return=minimal, count=exact, handling=strict",
                p.applied(Preferences.Target.UPSERT_INSERT));
        assertEquals("missing=default, return=minimal, count=exact, handling=strict", p.applied(Preferences.Target.INSERT));
        assertEquals("return=minimal, count=exact, handling=strict", p.applied(Preferences.Target.PUT));
        assertEquals("missing=default, return=minimal, count=exact, handling=strict, max-affected=2",
                p.applied(Preferences.Target.UPDATE));
        assertEquals("count=exact, handling=strict, max-affected=2", p.applied(Preferences.Target.CALL));
        assertEquals("count=exact, handling=strict", p.applied(Preferences.Target.READ));
        // max-affected means nothing without handling=strict
        Preferences lenient = Preferences.parse(List.of("max-affected=2"));
        assertNull(lenient.strictMaxAffected());
        assertEquals("", lenient.applied(Preferences.Target.DELETE));
    }

    @Test
    void strictHandlingRefusesUnknownPreferences() {
        // unknown preferences are ignored (RFC 7240) unless handling=strict
        assertEquals("", Preferences.parse(List.of("nulls=stripped, whatever")).applied(Preferences.Target.READ));
        ApiException e = assertThrows(ApiException.class, () -> Preferences.parse(List.of("handling=strict, nulls=stripped")));
        assertEquals("PGRST122", e.code());
        assertEquals(400, e.status());
        assertEquals("Invalid preferences: nulls=stripped", e.body().get("details"));
        // timezone= and tx= are known to PostgREST, so strict handling lets them through (the gateway ignores them)
        Preferences.parse(List.of("handling=strict, timezone=UTC, tx=commit"));
    }

    @Test
    void acceptChoosesArrayObjectAndNullStripping() {
        assertEquals(new Negotiation.Shape(false, false), Negotiation.accept(null));
        assertEquals(new Negotiation.Shape(true, false), Negotiation.accept("application/vnd.pgrst.object+json"));
        assertEquals(new Negotiation.Shape(true, true), Negotiation.accept("application/vnd.pgrst.object+json;nulls=stripped"));
        assertEquals(new Negotiation.Shape(false, true), Negotiation.accept("application/vnd.pgrst.array+json; nulls=stripped"));
        assertEquals(new Negotiation.Shape(false, false), Negotiation.accept("application/vnd.pgrst.array+json"));
        assertEquals("application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8",
                Negotiation.accept("application/vnd.pgrst.array+json;nulls=stripped").contentType());
        assertEquals(406, assertThrows(ApiException.class, () -> Negotiation.accept("text/csv")).status());
    }
}
