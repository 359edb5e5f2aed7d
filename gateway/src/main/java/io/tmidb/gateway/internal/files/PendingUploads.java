// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.files;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The presigned uploads this gateway began and has not completed, as {@code tmi.begin_upload}
 * answered them, so that completing one asks the store for its object (key, size, SHA-256) without
 * first reading {@code tmi.file_upload}. It is not the authority: {@code tmi.complete_upload} checks
 * the upload again (still pending, not expired, the caller a speaker) in the transaction that
 * attaches it. An upload begun by another gateway, or forgotten here (the oldest beyond
 * {@link #MAX}, or a restart), is read from the database as before.
 */
final class PendingUploads {
    /** Uploads remembered at most (a row of some hundred bytes each). */
    static final int MAX = 4096;
    private final Map<String, JsonNode> uploads = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, JsonNode> eldest) {
            return size() > MAX;
        }
    };

    /** Remembers an upload: a row of {@code tmi.file_upload} as JSON. */
    synchronized void put(JsonNode upload) {
        uploads.put(upload.get("upload_id").asText(), upload);
    }

    /** The upload, unless it is not remembered here or has expired (then the database answers why). */
    synchronized JsonNode get(String id) {
        JsonNode up = uploads.get(id);
        if (up != null && !expiresAfter(up, Instant.now())) {
            uploads.remove(id);
            return null;
        }
        return up;
    }

    synchronized void remove(String id) {
        uploads.remove(id);
    }

    private static boolean expiresAfter(JsonNode up, Instant now) {
        try {
            return OffsetDateTime.parse(up.path("expires_at").asText()).toInstant().isAfter(now);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
