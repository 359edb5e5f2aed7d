// SPDX-License-Identifier: MIT
package io.tmidb.files;

import software.amazon.awssdk.awscore.presigner.PresignedRequest;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A request the SDK presigned, sent with the JDK's {@link HttpURLConnection}: the requests the
 * gateway makes for every upload (the streamed PUT, the HEAD that checks an object) go through
 * the SDK's presigner and then straight to the store, not through the SDK client's request
 * pipeline, whose interceptors, signing and unmarshalling cost several times the exchange itself
 * (docs/BENCHMARKS.md, Files). Connections are kept and reused by the JDK's keep-alive cache.
 */
final class PresignedCall {
    static final int CONNECT_TIMEOUT_MS = 10_000;

    private PresignedCall() {
    }

    /**
     * A connection for {@code p}, not yet sent, with the headers the signature covers ({@code host}
     * comes from the URL, {@code content-length} from the body) and a read timeout of {@code timeout}.
     */
    static HttpURLConnection open(PresignedRequest p, Duration timeout) throws IOException {
        HttpURLConnection c = (HttpURLConnection) p.url().openConnection();
        c.setRequestMethod(p.httpRequest().method().name());
        c.setInstanceFollowRedirects(false); // the signature is for this URL; a store that redirects answers that instead
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        for (Map.Entry<String, List<String>> h : p.signedHeaders().entrySet()) {
            if (!h.getKey().equalsIgnoreCase("host") && !h.getKey().equalsIgnoreCase("content-length")) {
                c.setRequestProperty(h.getKey(), String.join(",", h.getValue()));
            }
        }
        return c;
    }

    /** Reads an answer's body to its end (so that the connection is kept for the next request) and answers it as text. */
    static String answer(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
