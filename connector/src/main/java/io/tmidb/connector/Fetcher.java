// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches a connector's URL under a {@link FetchPolicy}: the address guard on every hop,
 * redirects followed here (the client never follows them, so no hop escapes the guard or the
 * count), a conditional GET with the stored validators, the connector's headers and credentials
 * (sent to the connector's own origin only, never to a host it redirects to), a User-Agent
 * naming tmiDB, the body cap while streaming and one deadline per request.
 */
public final class Fetcher {
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);
    private final FetchPolicy policy;
    private final AddressGuard guard;
    private final HttpClient client;

    public Fetcher(FetchPolicy policy) {
        this(policy, AddressGuard.of(policy));
    }

    public Fetcher(FetchPolicy policy, AddressGuard guard) {
        this.policy = policy;
        this.guard = guard;
        this.client = HttpClient.newBuilder().connectTimeout(policy.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Fetches once; returns a 2xx or 304 response, throws for everything else. */
    public FetchResult fetch(ConnectorSpec spec) throws FetchException, InterruptedException {
        URI origin = parse(spec.url());
        URI uri = origin;
        for (int hop = 0; ; hop++) {
            guard.check(uri);
            HttpResponse<byte[]> response = send(request(spec, uri, sameOrigin(origin, uri)), uri);
            int status = response.statusCode();
            if (REDIRECTS.contains(status)) {
                if (hop >= policy.maxRedirects()) {
                    throw new FetchException(FetchException.Code.TOO_MANY_REDIRECTS, "more than " + policy.maxRedirects()
                            + " redirects, last from " + uri + "; raise connector-max-redirects or point the connector at the final URL");
                }
                URI from = uri;
                String location = response.headers().firstValue("Location").orElseThrow(() -> new FetchException(
                        "HTTP " + status + " without a Location header from " + from, status));
                uri = follow(from, location);
                continue;
            }
            if (status == 304 || status / 100 == 2) {
                return new FetchResult(status, response.headers().firstValue("Content-Type").orElse(null), response.body(),
                        response.headers().firstValue("ETag").orElse(null),
                        response.headers().firstValue("Last-Modified").orElse(null), uri);
            }
            throw new FetchException("HTTP " + status + " from " + uri + snippet(response.body()), status);
        }
    }

    private HttpRequest request(ConnectorSpec spec, URI uri, boolean sameOrigin) throws FetchException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).GET().timeout(policy.readTimeout())
                .header("User-Agent", FetchPolicy.USER_AGENT)
                .header("Accept", accept(spec.format()));
        if (spec.etag() != null) {
            b.header("If-None-Match", spec.etag());
        }
        if (spec.lastModified() != null) {
            b.header("If-Modified-Since", spec.lastModified());
        }
        if (sameOrigin) {
            try {
                JsonNode headers = spec.options().path("headers");
                for (Map.Entry<String, JsonNode> h : headers.properties()) {
                    b.setHeader(h.getKey(), h.getValue().asText());
                }
                JsonNode auth = spec.options().path("auth");
                if (auth.hasNonNull("bearer")) {
                    b.setHeader("Authorization", "Bearer " + auth.get("bearer").asText());
                } else if (auth.hasNonNull("user")) {
                    String pair = auth.get("user").asText() + ":" + auth.path("password").asText();
                    b.setHeader("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
                }
            } catch (IllegalArgumentException e) {
                // the header's name is not shown: the message must not carry a secret value
                throw new FetchException(FetchException.Code.BAD_OPTIONS, "options.headers holds a header the HTTP client refuses"
                        + " (restricted, e.g. Host or Connection, or an invalid value); remove it with tmi.set_connector");
            }
        }
        return b.build();
    }

    private HttpResponse<byte[]> send(HttpRequest request, URI uri) throws FetchException, InterruptedException {
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request, BoundedBody.handler(policy.maxBodyBytes()));
        try {
            // the request timeout ends with the headers; this deadline also covers a slow body
            return future.get(policy.readTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw timeout(uri, e);
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof IOException && cause.getCause() instanceof BoundedBody.TooLarge) {
                cause = cause.getCause();
            }
            if (cause instanceof BoundedBody.TooLarge tl) {
                throw new FetchException(FetchException.Code.TOO_LARGE, "response from " + uri + " too large: " + tl.getMessage()
                        + "; the limit is connector-max-body-bytes = " + policy.maxBodyBytes(), tl);
            }
            if (cause instanceof HttpTimeoutException) {
                throw timeout(uri, cause);
            }
            throw new FetchException(FetchException.Code.IO, "cannot fetch " + uri + ": " + Objects.toString(cause.getMessage(), cause.toString()), cause);
        }
    }

    private FetchException timeout(URI uri, Throwable cause) {
        return new FetchException(FetchException.Code.TIMEOUT, "no complete response from " + uri + " within "
                + policy.readTimeout().toMillis() + " ms (connect limit " + policy.connectTimeout().toMillis()
                + " ms); raise connector-read-timeout if the source is slow", cause);
    }

    private static URI parse(String url) throws FetchException {
        try {
            URI uri = new URI(url);
            if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
                throw new FetchException(FetchException.Code.BAD_OPTIONS, "not an absolute http(s) URL with a host: " + url);
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new FetchException(FetchException.Code.BAD_OPTIONS, "invalid URL " + url + ": " + e.getReason(), e);
        }
    }

    private static URI follow(URI from, String location) throws FetchException {
        try {
            URI next = from.resolve(new URI(location.strip()));
            return parse(next.toString());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new FetchException(FetchException.Code.HTTP_STATUS, "invalid redirect Location from " + from + ": " + location, e);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() != -1 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static String accept(String format) {
        return switch (format) {
            case "json" -> "application/json, */*;q=0.5";
            case "csv" -> "text/csv, */*;q=0.5";
            case "html" -> "text/html, application/xhtml+xml, */*;q=0.5";
            default -> "text/plain, */*;q=0.5";
        };
    }

    // a little of an error page helps to see why the server refused
    private static String snippet(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).replaceAll("\\s+", " ").strip();
        return text.isEmpty() ? "" : ": " + text;
    }
}
