// SPDX-License-Identifier: MIT
package io.tmidb.cli;

import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.sql.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tmictl token issue|revoke} and {@code tmictl listener drop} run in-process against the test database. */
@TmidbTest
class TokenCommandIT {

    @Test
    void issueRevokeAndDropAListener(TestDatabase db) throws Exception {
        Tmictl device = Tmictl.run(db, "token", "issue", "tmi_speaker", "device-7", "--ttl", "1 day");
        assertEquals(ExitCodes.OK, device.exitCode(), device.err());
        assertTrue(device.out().strip().matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+"), "the token alone: " + device.out());
        try (Connection c = db.connect()) {
            assertEquals("1", Sql.scalar(c, "SELECT count(*) FROM tmi.token WHERE role = 'tmi_speaker' AND subject = 'device-7'"
                    + " AND expires_at > now() + interval '23 hours' AND revoked_at IS NULL"));
            Tmictl revoke = Tmictl.run(db, "token", "revoke", "tmi_speaker", "device-7");
            assertEquals(ExitCodes.OK, revoke.exitCode(), revoke.err());
            assertEquals("0", Sql.scalar(c, "SELECT count(*) FROM tmi.token WHERE subject = 'device-7' AND revoked_at IS NULL"));

            c.createStatement().execute("SELECT tmi.add_listener('frank')");
            assertEquals(ExitCodes.OK, Tmictl.run(db, "token", "issue", "tmi_listener", "frank").exitCode());
            Tmictl drop = Tmictl.run(db, "listener", "drop", "frank");
            assertEquals(ExitCodes.OK, drop.exitCode(), drop.err());
            assertEquals("0", Sql.scalar(c, "SELECT count(*) FROM tmi.token WHERE subject = 'frank'"));
        }
        assertNotEquals(ExitCodes.OK, Tmictl.run(db, "token", "issue", "tmi_anon", "x").exitCode());
        assertNotEquals(ExitCodes.OK, Tmictl.run(db, "listener", "drop", "frank").exitCode());
    }
}
