// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.error;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;
import java.util.Map;

/** The one SQLSTATE to HTTP status mapping, PostgREST's, and the conversion of database errors. */
public final class SqlStates {
    private SqlStates() {
    }

    /** The HTTP status PostgREST answers for a SQLSTATE; {@code authenticated} decides 42501. */
    public static int status(String state, boolean authenticated) {
        if (state == null || state.length() != 5) {
            return 500;
        }
        switch (state) {
            case "23503", "23505":
                return 409;
            case "25006":
                return 405;
            case "53400", "42P17":
                return 500;
            case "P0001":
                return 400;
            case "42883", "42P01":
                return 404;
            case "42501":
                return authenticated ? 403 : 401;
            default:
                break;
        }
        return switch (state.substring(0, 2)) {
            case "08", "53" -> 503;
            case "09", "25", "2D", "38", "39", "3B", "40", "54", "55", "57", "58", "F0", "HV", "P0", "XX" -> 500;
            case "0L", "0P", "28" -> 403;
            default -> 400;
        };
    }

    /** The client's view of a database error: its SQLSTATE, message, DETAIL and HINT. */
    public static ApiException from(SQLException e, boolean authenticated) {
        String state = e.getSQLState();
        ServerErrorMessage m = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        int status = status(state, authenticated);
        Map<String, String> headers = status == 401 ? Map.of("WWW-Authenticate", "Bearer") : Map.of();
        if (m == null) {
            return new ApiException(status, state == null ? "PGRST000" : state, e.getMessage(), null, null, headers);
        }
        return new ApiException(status, m.getSQLState(), m.getMessage(), m.getDetail(), m.getHint(), headers);
    }
}
