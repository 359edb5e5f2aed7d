// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

/** The broker could not be reached or did not acknowledge: the relay reconnects and resumes at its cursor. */
public final class RelayException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean outOfStep;

    public RelayException(String message, Throwable cause) {
        this(message, cause, false);
    }

    RelayException(String message, Throwable cause, boolean outOfStep) {
        super(message, cause);
        this.outOfStep = outOfStep;
    }

    /**
     * Whether the stream refused a publish because its last message was not the one the relay
     * counted on: NATS works, but publishes before it were lost (a leader change) or someone else
     * published to the stream. Not an outage: the relay starts again from the stream's tail.
     */
    boolean outOfStep() {
        return outOfStep;
    }
}
