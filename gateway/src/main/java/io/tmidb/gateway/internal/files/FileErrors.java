// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.files;

import io.tmidb.files.FileException;
import io.tmidb.gateway.internal.error.ApiException;

/**
 * The gateway's own error codes for files (class {@code TMF}, listed in docs/files.md) and the
 * answer to each {@link FileException}.
 */
final class FileErrors {
    static final String TOO_LARGE = "TMF01";
    static final String TYPE_REFUSED = "TMF02";
    static final String NOT_UPLOADED = "TMF03";
    static final String SIZE_MISMATCH = "TMF04";
    static final String HASH_MISMATCH = "TMF05";
    static final String STORE_UNAVAILABLE = "TMF06";
    static final String FILES_OFF = "TMF07";
    static final String LENGTH_REQUIRED = "TMF08";
    static final String NOT_FOUND = "TMF09";

    private FileErrors() {
    }

    static ApiException of(FileException e) {
        return switch (e.code()) {
            case MISSING -> new ApiException(409, NOT_UPLOADED, "the object has not been uploaded", e.getMessage(),
                    "PUT the file to the upload URL first, then complete the upload; it stays open until it expires.");
            case SIZE_MISMATCH -> new ApiException(422, SIZE_MISMATCH, "size mismatch", e.getMessage(),
                    "The object was deleted and the upload dropped; ask for a new upload with the right size.");
            case HASH_MISMATCH -> new ApiException(422, HASH_MISMATCH, "sha256 mismatch", e.getMessage(),
                    "The object was deleted and the upload dropped; ask for a new upload with the right sha256.");
            case TOO_LARGE -> new ApiException(413, TOO_LARGE, "file too large", e.getMessage(),
                    "Send no more bytes than declared.");
            case UNAVAILABLE -> new ApiException(503, STORE_UNAVAILABLE, "the object store is unavailable", e.getMessage(),
                    "Try again later; tmi.status() shows whether the store is reachable.");
        };
    }

    static ApiException filesOff() {
        return new ApiException(503, FILES_OFF, "files are off: this gateway has no object store", null,
                "Set s3-endpoint (tmidbd sets its embedded store's).");
    }

    static ApiException notFound(String id) {
        return new ApiException(404, NOT_FOUND, "file " + id + " not found", null,
                "Pass the file_id of a file about a target you may read (file.attached events carry it).");
    }
}
