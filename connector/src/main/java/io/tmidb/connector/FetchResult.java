// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import java.net.URI;

/**
 * A response that ended the fetch: 2xx with its body, or 304 Not Modified (empty body).
 *
 * @param uri the URL that answered, after redirects
 */
public record FetchResult(int status, String contentType, byte[] body, String etag, String lastModified, URI uri) {
    public boolean notModified() {
        return status == 304;
    }
}
