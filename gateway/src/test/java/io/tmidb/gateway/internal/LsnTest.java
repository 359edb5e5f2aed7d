// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal;

import io.tmidb.gateway.internal.query.Lsn;
import org.junit.jupiter.api.Test;

import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WAL positions as PostgreSQL writes them, in order as numbers. */
class LsnTest {
    @Test
    void positionsReadAsPostgresqlWritesThemAndOrderAsNumbers() {
        assertEquals(OptionalLong.of(0x3000148L), Lsn.parse("0/3000148"));
        assertEquals(OptionalLong.of(0x16B374D848L), Lsn.parse("16/B374D848"));
        assertEquals(OptionalLong.of(Long.MAX_VALUE), Lsn.parse("7FFFFFFF/FFFFFFFF"));
        assertEquals("16/B374D848", Lsn.format(0x16B374D848L));
        assertEquals("7FFFFFFF/FFFFFFFF", Lsn.format(Long.MAX_VALUE));
        assertEquals(Lsn.parse("0/3000148"), Lsn.parse("0/3000148 "));
        assertEquals(Lsn.parse("a/b"), Lsn.parse("A/B"));
        assertTrue(Lsn.parse("1/0").getAsLong() > Lsn.parse("0/FFFFFFFF").getAsLong());
    }

    @Test
    void anythingElseIsNoPosition() {
        for (String bad : new String[] {"", "0", "0/", "/1", "0/1/2", "100000000/0", "80000000/0", "0/G", "-1/0", "yesterday"}) {
            assertTrue(Lsn.parse(bad).isEmpty(), bad);
        }
    }
}
