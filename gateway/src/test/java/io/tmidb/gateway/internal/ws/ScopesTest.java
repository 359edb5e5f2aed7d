// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The scopes held for the event reader, without I/O: their version moves exactly when what the
 * database was given as readers would be out of date, so that the reader sends them again then and
 * only then.
 */
class ScopesTest {
    private static final String FLEET = "{\"kinds\": {\"bike\": [\"battery\"]}, \"targets\": {}}";

    @Test
    void theVersionMovesWhenAScopeChangesComesOrGoes() {
        Scopes scopes = new Scopes();
        long empty = scopes.version();
        scopes.put(Map.of("fleet", FLEET), scopes.generation());
        long held = scopes.version();
        assertNotEquals(empty, held, "a scope came");
        // the periodic refresh loads the same scopes again: readers given before are still right
        scopes.put(Map.of("fleet", FLEET), scopes.generation());
        assertEquals(held, scopes.version());
        scopes.put(Map.of("fleet", "{\"kinds\": {\"bike\": null}, \"targets\": {}}"), scopes.generation());
        long changed = scopes.version();
        assertNotEquals(held, changed, "a scope changed");
        scopes.remove("fleet");
        assertNotEquals(changed, scopes.version(), "a scope went");
    }

    @Test
    void aLoadBegunBeforeANotifiedChangeStoresNothing() {
        Scopes scopes = new Scopes();
        long generation = scopes.generation();
        scopes.changed();
        long before = scopes.version();
        scopes.put(Map.of("fleet", FLEET), generation);
        assertEquals(before, scopes.version());
        assertEquals(List.of("fleet"), scopes.missing(List.of(new Viewer("fleet", null))));
    }
}
