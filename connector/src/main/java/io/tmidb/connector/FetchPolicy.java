// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import java.time.Duration;
import java.util.Set;

/**
 * The limits every fetch obeys. Invalid limits fail when the policy is made, not at fetch time.
 *
 * @param connectTimeout how long to wait for a TCP (and TLS) connection
 * @param readTimeout    how long one request may take from sending it to the last body byte
 * @param maxBodyBytes   largest body accepted; a larger one is abandoned while it streams in
 * @param maxRedirects   redirects followed before giving up
 * @param allowPrivate   whether loopback, private, link-local and metadata addresses may be fetched
 * @param allowedAddresses addresses allowed even when they are such addresses (e.g. an intranet
 *                       feed server), as {@link java.net.InetAddress#getHostAddress()} spells them
 */
public record FetchPolicy(Duration connectTimeout, Duration readTimeout, long maxBodyBytes, int maxRedirects,
                          boolean allowPrivate, Set<String> allowedAddresses) {
    public static final String USER_AGENT = "tmiDB/0.1 (connector)";
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_BODY_BYTES = 10L * 1024 * 1024;
    public static final int DEFAULT_MAX_REDIRECTS = 5;

    public FetchPolicy {
        positive(connectTimeout, "connect timeout");
        positive(readTimeout, "read timeout");
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("max body bytes must lie in [1, " + (Integer.MAX_VALUE - 8) + "], got " + maxBodyBytes);
        }
        if (maxRedirects < 0 || maxRedirects > 20) {
            throw new IllegalArgumentException("max redirects must lie in [0, 20], got " + maxRedirects);
        }
        allowedAddresses = Set.copyOf(allowedAddresses);
    }

    /** The defaults, refusing private addresses. */
    public static FetchPolicy defaults() {
        return new FetchPolicy(DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, false, Set.of());
    }

    public FetchPolicy withAllowPrivate(boolean allow) {
        return new FetchPolicy(connectTimeout, readTimeout, maxBodyBytes, maxRedirects, allow, allowedAddresses);
    }

    private static void positive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be a positive duration, got " + d);
        }
    }
}
