// SPDX-License-Identifier: MIT
package io.tmidb.normalizer;

/** Why no rule could be suggested; {@link #code()} is stable, the message says what to do. */
public final class SuggestionException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Stable reasons. */
    public enum Code {
        /** No document was given, or the source has none stored. */
        NO_DOCUMENT,
        /** The document is larger than the suggester reads at all. */
        TOO_LARGE,
        /** The document nests deeper than the suggester follows. */
        TOO_DEEP,
        /** The bytes are not JSON (or not UTF-8). */
        NOT_JSON,
        /** No item had a usable key. */
        NO_KEY,
        /** The model could not be loaded or run. */
        MODEL
    }

    private final Code code;

    public SuggestionException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public SuggestionException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }
}
