// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The query string as decoded (name, value) pairs in their order; repeated names are kept. */
public final class QueryString {
    private QueryString() {
    }

    public static List<Map.Entry<String, String>> parse(String raw) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (name.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
                throw ApiException.parse("NUL characters are not allowed in the query string", "in parameter " + name.replace('\0', ' '));
            }
            out.add(Map.entry(name, value));
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.parse("malformed percent-encoding in the query string", s);
        }
    }
}
