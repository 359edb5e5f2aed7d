// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal;

import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.files.FileRules;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileRulesTest {
    private final FileRules rules = new FileRules(1000, List.of("image/*", "Text/Plain"), Duration.ofMinutes(15), Duration.ofMinutes(1));

    @Test
    void acceptsWholeTypesExactTypesAnyCaseAndSizesUpToTheLimit() {
        assertDoesNotThrow(() -> rules.check("image/jpeg", 1000L));
        assertDoesNotThrow(() -> rules.check("IMAGE/PNG", 0L));
        assertDoesNotThrow(() -> rules.check("text/plain", 10L));
        // left to the database, which names what is missing
        assertDoesNotThrow(() -> rules.check(null, null));
    }

    @Test
    void refusesTooLargeAndOtherTypes() {
        assertEquals(413, assertThrows(ApiException.class, () -> rules.check("image/jpeg", 1001L)).status());
        assertEquals("TMF02", assertThrows(ApiException.class, () -> rules.check("text/html", 1L)).code());
        assertEquals("TMF02", assertThrows(ApiException.class, () -> rules.check("imagex/png", 1L)).code());
        assertDoesNotThrow(() -> new FileRules(1, List.of(), Duration.ofMinutes(1), Duration.ofMinutes(1)).check("any/thing", 1L));
    }

    @Test
    void refusesAPresignedUploadLargerThanOnePutWithTheWayThatTakesIt() {
        assertDoesNotThrow(() -> rules.checkPresigned("image/jpeg", 500L, 500));
        ApiException e = assertThrows(ApiException.class, () -> rules.checkPresigned("image/jpeg", 501L, 500));
        assertEquals(413, e.status());
        assertEquals("TMF01", e.code());
        assertTrue(String.valueOf(e.body().get("hint")).contains("POST /files/stream"), e.body()::toString);
        // the size limit first: a file the gateway does not take at all is not sent elsewhere
        assertEquals("file too large", assertThrows(ApiException.class, () -> rules.checkPresigned("image/jpeg", 1001L, 500))
                .getMessage());
    }
}
