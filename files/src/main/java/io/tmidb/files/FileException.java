// SPDX-License-Identifier: MIT
package io.tmidb.files;

/** What went wrong with an object, with a stable {@link Code} callers answer by. */
public final class FileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The kinds of failure. */
    public enum Code {
        /** No object under the key. */
        MISSING,
        /** The object's size is not the one declared. */
        SIZE_MISMATCH,
        /** The object's SHA-256 is not the one declared. */
        HASH_MISMATCH,
        /** More bytes than allowed. */
        TOO_LARGE,
        /** The store could not be reached or refused the request. */
        UNAVAILABLE
    }

    private final Code code;

    public FileException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public FileException(Code code, String message) {
        this(code, message, null);
    }

    public Code code() {
        return code;
    }
}
