// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

/** The broker could not be reached or did not acknowledge: the relay reconnects and resumes at its cursor. */
public final class RelayException extends Exception {
    private static final long serialVersionUID = 1L;

    public RelayException(String message, Throwable cause) {
        super(message, cause);
    }
}
