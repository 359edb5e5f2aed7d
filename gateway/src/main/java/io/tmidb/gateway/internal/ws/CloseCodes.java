// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

/** The close codes of {@code /tmi/ws}, as documented in docs/websocket.md. */
final class CloseCodes {
    /** The gateway is stopping; reconnect and resume. */
    static final int GOING_AWAY = 1001;
    /** The gateway failed (e.g. lost the database during a replay); reconnect and resume. */
    static final int SERVER_ERROR = 1011;
    /** No token, a token that does not verify, or an expired one; or no auth message in time. */
    static final int UNAUTHORIZED = 4001;
    /** A valid token that may not read this stream (no listener claim, another listener's stream). */
    static final int FORBIDDEN = 4003;
    /** The listener of the token or the path does not exist. */
    static final int UNKNOWN_LISTENER = 4004;
    /** The client fell more than ws-queue frames behind; resume with since = the last id processed. */
    static final int SLOW_CONSUMER = 4008;
    /** The events after the client's since were pruned by retention; they cannot be replayed. */
    static final int RESUME_EXPIRED = 4009;

    private CloseCodes() {
    }
}
