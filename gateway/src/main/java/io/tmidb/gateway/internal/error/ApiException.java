// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.error;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answered to the client in PostgREST's shape: HTTP status plus a JSON body
 * {@code {code, message, details, hint}}. Codes are PostgreSQL SQLSTATEs for errors the database
 * raised and PostgREST's {@code PGRSTnnn} codes for errors the gateway finds itself.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final String details;
    private final String hint;
    private final Map<String, String> headers;

    public ApiException(int status, String code, String message, String details, String hint) {
        this(status, code, message, details, hint, Map.of());
    }

    public ApiException(int status, String code, String message, String details, String hint, Map<String, String> headers) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
        this.hint = hint;
        this.headers = Map.copyOf(headers);
    }

    /** PGRST100: a query parameter or header that does not parse. */
    public static ApiException parse(String message, String details) {
        return new ApiException(400, "PGRST100", message, details, null);
    }

    /** 42703: a column the relation does not have. */
    public static ApiException unknownColumn(String relation, String column) {
        return new ApiException(400, "42703", "column " + relation + "." + column + " does not exist", null,
                "Use one of the relation's columns; the OpenAPI document at / lists them.");
    }

    /** PGRST102: a request body that is not the JSON the method needs. */
    public static ApiException body(String message, String details) {
        return new ApiException(400, "PGRST102", message, details, null);
    }

    /** The same error answered with another HTTP status. */
    public ApiException withStatus(int newStatus) {
        return new ApiException(newStatus, code, getMessage(), details, hint, headers);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The body fields in PostgREST's order; absent ones are null. */
    public Map<String, Object> body() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("code", code);
        m.put("details", details);
        m.put("hint", hint);
        m.put("message", getMessage());
        return m;
    }
}
