// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.config.JavalinConfig;

import java.util.List;

/**
 * Cross-origin access for browser pages, by Javalin's CORS plugin: a preflight ({@code OPTIONS}
 * with {@code Origin} and {@code Access-Control-Request-Method}) from an allowed origin is answered
 * with the {@code Access-Control-Allow-*} headers, and responses to that origin expose the headers
 * clients read (a count is in {@code Content-Range}). Origins not listed get no CORS headers, so the
 * browser keeps the page from reading the answer; same-origin pages need none.
 */
public final class Cors {
    /** Response headers a page may read, besides the ones browsers always expose. */
    static final List<String> EXPOSED = List.of("Content-Range", "Content-Profile", "Content-Location", "Location",
            "Preference-Applied", "Range-Unit", "WWW-Authenticate", ReadYourWrites.HEADER);
    /** How long a browser may cache a preflight answer, in seconds (PostgREST's value). */
    static final int MAX_AGE = 86400;

    private Cors() {
    }

    /** Enables CORS for {@code origins} ({@code *}: any); nothing when the list is empty. */
    public static void configure(JavalinConfig cfg, List<String> origins) {
        if (origins.isEmpty()) {
            return;
        }
        cfg.bundledPlugins.enableCors(cors -> cors.addRule(rule -> {
            if (origins.contains("*")) {
                rule.anyHost();
            } else {
                rule.allowHost(origins.get(0), origins.subList(1, origins.size()).toArray(String[]::new));
            }
            rule.maxAge = MAX_AGE;
            EXPOSED.forEach(rule::exposeHeader);
        }));
    }
}
