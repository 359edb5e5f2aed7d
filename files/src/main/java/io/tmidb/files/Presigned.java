// SPDX-License-Identifier: MIT
package io.tmidb.files;

import java.time.Instant;
import java.util.Map;

/**
 * A presigned request: the client sends {@code method} to {@code url} with exactly these headers
 * (they are part of the signature) before {@code expiresAt}.
 */
public record Presigned(String method, String url, Map<String, String> headers, Instant expiresAt) {
    public Presigned {
        headers = Map.copyOf(headers);
    }
}
