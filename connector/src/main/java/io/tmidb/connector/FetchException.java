// SPDX-License-Identifier: MIT
package io.tmidb.connector;

/**
 * Why one fetch of a connector failed; the message is what operators see as the connector's
 * {@code last_error}, so it names the URL or the limit involved and what to change.
 */
public final class FetchException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Stable codes, one per failure mode. */
    public enum Code {
        BLOCKED_ADDRESS, TIMEOUT, TOO_LARGE, TOO_MANY_REDIRECTS, HTTP_STATUS, BAD_BODY, BAD_OPTIONS, IO
    }

    private final Code code;
    private final Integer httpStatus;

    public FetchException(Code code, String message) {
        super(message);
        this.code = code;
        this.httpStatus = null;
    }

    /** A response with an unusable status. */
    public FetchException(String message, int httpStatus) {
        super(message);
        this.code = Code.HTTP_STATUS;
        this.httpStatus = httpStatus;
    }

    public FetchException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.httpStatus = null;
    }

    public Code code() {
        return code;
    }

    /** The HTTP status that made the fetch fail, or null when no response decided it. */
    public Integer httpStatus() {
        return httpStatus;
    }
}
