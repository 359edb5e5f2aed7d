// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.stored.Ids;
import io.tmidb.stored.mapping.Pipeline;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;

/**
 * Answers tmi.mapping_preview on the worker host: runs the stored logic's preview for each claimed
 * request and writes the result, or the error with its SQLSTATE and hint, for the waiting caller.
 * Answers older than a minute have been read or abandoned, and go.
 */
final class PreviewRequests {
    private PreviewRequests() {
    }

    static void answer(Connection c, long[] ids) throws SQLException {
        try (PreparedStatement read = c.prepareStatement("SELECT request_id, rule::text, payload::text FROM tmi.preview_request"
                + " WHERE request_id = ANY(CAST(? AS bigint[]))");
             PreparedStatement done = c.prepareStatement("UPDATE tmi.preview_request SET result = CAST(? AS jsonb) WHERE request_id = ?");
             PreparedStatement failed = c.prepareStatement("UPDATE tmi.preview_request SET sqlstate = ?, error = ?, hint = ?"
                     + " WHERE request_id = ?")) {
            read.setString(1, Ids.toArrayLiteral(ids));
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    Savepoint sp = c.setSavepoint();
                    try {
                        done.setString(1, Pipeline.preview(c, rs.getString(2), rs.getString(3)));
                        done.setLong(2, id);
                        done.execute();
                        c.releaseSavepoint(sp);
                    } catch (SQLException e) {
                        c.rollback(sp);
                        ServerErrorMessage m = e instanceof PSQLException pe ? pe.getServerErrorMessage() : null;
                        failed.setString(1, e.getSQLState());
                        failed.setString(2, m != null ? m.getMessage() : e.getMessage());
                        failed.setString(3, m != null ? m.getHint() : null);
                        failed.setLong(4, id);
                        failed.execute();
                    }
                }
            }
        }
        try (PreparedStatement clean = c.prepareStatement("DELETE FROM tmi.preview_request"
                + " WHERE created_at < now() - interval '1 minute' AND (result IS NOT NULL OR error IS NOT NULL)")) {
            clean.execute();
        }
    }
}
