// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import java.sql.SQLException;

/**
 * The database refused a {@link ListenLoop}'s login (SQLSTATE class 28: wrong password, unknown
 * role, no pg_hba.conf entry): the loop stopped instead of retrying. The message names the cause
 * and the remedy.
 */
public final class LoginRefusedException extends RuntimeException {
    LoginRefusedException(String message, SQLException cause) {
        super(message, cause);
    }

    /** The server's error, with its SQLSTATE. */
    @Override
    public synchronized SQLException getCause() {
        return (SQLException) super.getCause();
    }
}
