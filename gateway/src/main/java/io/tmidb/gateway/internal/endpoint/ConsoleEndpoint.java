// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.tmidb.gateway.internal.error.ApiException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console, a browser client of the public REST and WebSocket endpoints, served at
 * {@code /console} from the files its npm build put into the jar ({@code console/} on the class
 * path; gateway/console). It has no API of its own: the page signs in with a token and calls the
 * same routes as every client. File names under {@code assets/} carry a content hash, so they are
 * cached for good; {@code index.html} is checked again on each load.
 */
public final class ConsoleEndpoint {
    private static final String ROOT = "console/";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8",
            "json", "application/json", "png", "image/png", "svg", "image/svg+xml", "ico", "image/x-icon");
    /** Scripts and styles only from the gateway; tiles (a setting of the page) from anywhere; the WebSocket stream. */
    private static final String POLICY = "default-src 'self'; img-src * data: blob:; style-src 'self' 'unsafe-inline';"
            + " connect-src 'self' ws: wss:; frame-ancestors 'none'";
    private final Map<String, Optional<byte[]>> files = new ConcurrentHashMap<>();

    /** Adds the console's routes; before the resources' {@code /{relation}}, which would take {@code /console} and {@code /favicon.ico}. */
    public void register(JavalinConfig cfg) {
        cfg.routes.get("/console", ctx -> serve(ctx, "index.html"));
        // what a browser asks for beside any page it shows of the gateway (the OpenAPI document, a
        // resource's JSON): no icon, said once a day, rather than a 404 each time
        cfg.routes.get("/favicon.ico", ctx -> ctx.status(204).header("Cache-Control", "public, max-age=86400"));
        cfg.routes.get("/console/<path>", ctx -> serve(ctx, ctx.pathParam("path")));
    }

    private void serve(Context ctx, String path) {
        String name = path.isEmpty() ? "index.html" : path;
        byte[] body = name.contains("..") || name.startsWith("/") ? null : file(name).orElse(null);
        if (body == null) {
            throw new ApiException(404, "PGRST125", "Invalid path specified in request URL: " + ctx.path(), null,
                    file("index.html").isPresent() ? "The console's pages are under /console/#/."
                            : "This gateway was built without the console (mvn package -Dconsole.skip).");
        }
        String ext = name.substring(name.lastIndexOf('.') + 1);
        ctx.header("Cache-Control", name.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", POLICY);
        ctx.contentType(TYPES.getOrDefault(ext, "application/octet-stream")).result(body);
    }

    private Optional<byte[]> file(String name) {
        return files.computeIfAbsent(name, n -> {
            try (InputStream in = ConsoleEndpoint.class.getClassLoader().getResourceAsStream(ROOT + n)) {
                return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
