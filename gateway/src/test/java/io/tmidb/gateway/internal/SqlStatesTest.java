// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal;

import io.tmidb.gateway.internal.error.SqlStates;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** PostgREST's SQLSTATE to HTTP status table (no I/O). */
class SqlStatesTest {

    @Test
    void postgrestTable() {
        assertEquals(503, SqlStates.status("08006", true));
        assertEquals(409, SqlStates.status("23505", true));
        assertEquals(409, SqlStates.status("23503", true));
        assertEquals(400, SqlStates.status("23502", true));
        assertEquals(405, SqlStates.status("25006", true));
        assertEquals(500, SqlStates.status("25001", true));
        assertEquals(403, SqlStates.status("28000", true));
        assertEquals(404, SqlStates.status("42P01", true));
        assertEquals(404, SqlStates.status("42883", true));
        assertEquals(500, SqlStates.status("42P17", true));
        assertEquals(403, SqlStates.status("42501", true));
        assertEquals(401, SqlStates.status("42501", false));
        assertEquals(400, SqlStates.status("P0001", true));
        assertEquals(500, SqlStates.status("P0002", true));
        assertEquals(500, SqlStates.status("53400", true));
        assertEquals(503, SqlStates.status("53300", true));
        assertEquals(500, SqlStates.status("54000", true));
        assertEquals(400, SqlStates.status("22P02", true));
        assertEquals(500, SqlStates.status("XX000", true));
        assertEquals(500, SqlStates.status(null, true));
    }
}
