// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.files;

import io.tmidb.gateway.internal.error.ApiException;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the gateway accepts as a file and how long its URLs live: the largest size, the media types
 * allowed (empty: any; {@code image/*} a whole type), the life of upload and download URLs.
 */
public record FileRules(long maxSize, List<String> contentTypes, Duration uploadTtl, Duration downloadTtl) {
    public FileRules {
        contentTypes = contentTypes.stream().map(t -> t.toLowerCase(Locale.ROOT)).toList();
    }

    /** Refuses a file over the size limit (413) or of a type not allowed (415); null values are left to the database. */
    public void check(String contentType, Long size) {
        if (size != null && size > maxSize) {
            throw new ApiException(413, FileErrors.TOO_LARGE, "file too large", "the file has " + size + " bytes, at most "
                    + maxSize + " are accepted", "Send a smaller file; the limit is the gateway's file-max-size setting.");
        }
        if (contentType != null && !allows(contentType)) {
            throw new ApiException(415, FileErrors.TYPE_REFUSED, "content type not accepted: " + contentType,
                    "accepted: " + String.join(", ", contentTypes), "Send one of the accepted media types (the gateway's"
                    + " file-content-types setting).");
        }
    }

    /**
     * {@link #check}, and refuses (413) a presigned upload larger than one PUT may store
     * ({@code maxPut}: S3's 5 GiB), naming the way that takes it: the body streamed through the gateway.
     */
    public void checkPresigned(String contentType, Long size, long maxPut) {
        check(contentType, size);
        if (size != null && size > maxPut) {
            throw new ApiException(413, FileErrors.TOO_LARGE, "file too large for a presigned upload", "the file has " + size
                    + " bytes, one PUT to the store takes at most " + maxPut, "Stream it through POST /files/stream, which"
                    + " stores a larger body as a multipart upload.");
        }
    }

    private boolean allows(String contentType) {
        String t = contentType.toLowerCase(Locale.ROOT);
        return contentTypes.isEmpty() || contentTypes.stream().anyMatch(a -> a.equals(t)
                || a.endsWith("/*") && t.startsWith(a.substring(0, a.length() - 1)));
    }
}
