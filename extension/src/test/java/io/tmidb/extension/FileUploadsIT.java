// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tmi.complete_upload, the gateway's completion of a presigned upload: the size and SHA-256 the
 * store verified must be the declared ones, an upload attaches once, and one given up or expired
 * does not attach at all.
 */
@TmidbTest
class FileUploadsIT {
    private static final String SHA = "a".repeat(64);

    @Test
    void anUploadAttachesOnceWithTheDeclaredSizeAndHashOnly(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            String cam = scalar(c, "SELECT tmi.add_target('Upload camera', 'camera', '{}', 'UPCAM1')");
            String up = begin(c, cam, "a.bin");

            ServerErrorMessage wrong = assertFails(c, "22023", "SELECT tmi.complete_upload('" + up + "', 11, '" + SHA + "')");
            assertTrue(wrong.getMessage().contains("is not the file declared"), wrong::getMessage);
            assertEquals("declared 10 bytes with SHA-256 " + SHA + ", the store has 11 bytes with SHA-256 " + SHA, wrong.getDetail());
            assertFails(c, "22023", "SELECT tmi.complete_upload('" + up + "', 10, '" + "b".repeat(64) + "')");
            assertEquals("0", scalar(c, "SELECT count(*) FROM tmi.file_attachment WHERE target_id = '" + cam + "'"), "no row");
            assertEquals("1", scalar(c, "SELECT count(*) FROM tmi.file_upload WHERE upload_id = '" + up + "'"), "still pending");

            assertEquals("a.bin 1 10 " + cam + "/" + up, scalar(c, "SELECT concat_ws(' ', name, version, size_bytes, object_key)"
                    + " FROM tmi.complete_upload('" + up + "', 10, '" + SHA + "')"));
            assertEquals("0", scalar(c, "SELECT count(*) FROM tmi.file_upload WHERE upload_id = '" + up + "'"));
            assertEquals("1", scalar(c, "SELECT count(*) FROM tmi.event_log WHERE event_type = 'file.attached'"
                    + " AND target_id = '" + cam + "'"));
            assertFails(c, "42704", "SELECT tmi.complete_upload('" + up + "', 10, '" + SHA + "')");

            String cancelled = begin(c, cam, "b.bin");
            st.execute("SELECT tmi.cancel_upload('" + cancelled + "')");
            assertFails(c, "42704", "SELECT tmi.complete_upload('" + cancelled + "', 10, '" + SHA + "')");
            String expired = begin(c, cam, "c.bin");
            st.execute("UPDATE tmi.file_upload SET expires_at = now() - interval '1 second' WHERE upload_id = '" + expired + "'");
            assertFails(c, "42704", "SELECT tmi.complete_upload('" + expired + "', 10, '" + SHA + "')");
            assertEquals("a.bin", scalar(c, "SELECT string_agg(name, ',') FROM tmi.file_attachment WHERE target_id = '" + cam + "'"),
                    "only the completed upload is attached");
        }
    }

    private static String begin(Connection c, String target, String name) throws SQLException {
        return scalar(c, "SELECT upload_id FROM tmi.begin_upload('" + target + "', '" + name + "', 'application/octet-stream', 10, '"
                + SHA + "', 'files', '1 hour')");
    }
}
