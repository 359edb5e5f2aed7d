// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.response;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A response worked out in full before anything is sent, so that a write can still be rolled
 * back when shaping its response fails: status, headers, body (null: none) and its media type.
 */
public record Reply(int status, Map<String, String> headers, String body, String contentType) {
    public Reply {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }
}
