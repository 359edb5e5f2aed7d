// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;

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

    /**
     * Percent-decoding with {@code +} as a space, as {@link java.net.URLDecoder} does, but refusing
     * malformed escapes and bytes that are not UTF-8 instead of replacing them.
     */
    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[raw.length];
        int n = 0;
        for (int i = 0; i < raw.length; i++) {
            byte b = raw[i];
            if (b == '+') {
                out[n++] = ' ';
            } else if (b == '%') {
                int hi = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
                int lo = hi >= 0 ? Character.digit(raw[i + 2], 16) : -1;
                if (lo < 0) {
                    throw ApiException.parse("malformed percent-encoding in the query string", s);
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                out[n++] = b;
            }
        }
        String text = Utf8.decode(out, n);
        if (text == null) {
            throw ApiException.parse("the query string is not valid UTF-8", "in '" + s + "'");
        }
        return text;
    }
}
