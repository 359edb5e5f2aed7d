// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

/**
 * A cluster operation failed. The message says what failed; {@link #hint()} says what to do next.
 */
public final class ClusterException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String hint;

    public ClusterException(String message, String hint) {
        this(message, hint, null);
    }

    public ClusterException(String message, String hint, Throwable cause) {
        super(message, cause);
        this.hint = hint;
    }

    /** What the operator can do about it; never null. */
    public String hint() {
        return hint == null ? "" : hint;
    }
}
