// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;

import java.util.ArrayList;
import java.util.List;

/**
 * A column, optionally followed by a JSON path as in PostgREST: {@code meta->a->>b}, where
 * {@code ->} keeps JSON and {@code ->>} gives text; a key of digits is an array index.
 */
public record FieldRef(String column, List<PathStep> path) {
    /** One step of a JSON path. */
    public record PathStep(String key, boolean asText) {
        public boolean isIndex() {
            return key.matches("-?[0-9]{1,9}");
        }
    }

    public FieldRef {
        path = List.copyOf(path);
    }

    /** The text type when the path ends in {@code ->>}, JSON when it ends in {@code ->}, else the column's. */
    public boolean endsAsText() {
        return !path.isEmpty() && path.get(path.size() - 1).asText();
    }

    /** The name PostgREST gives the output: the last key of the path, else the column. */
    public String defaultAlias() {
        return path.isEmpty() ? column : path.get(path.size() - 1).key();
    }

    public static FieldRef parse(String text) {
        String s = text.trim();
        int arrow = s.indexOf("->");
        String column = arrow < 0 ? s : s.substring(0, arrow);
        if (column.isEmpty()) {
            throw ApiException.parse("failed to parse field \"" + text + "\"", "a column name is expected");
        }
        List<PathStep> path = new ArrayList<>();
        int i = arrow;
        while (i >= 0 && i < s.length()) {
            boolean asText = s.startsWith("->>", i);
            int start = i + (asText ? 3 : 2);
            int next = s.indexOf("->", start);
            String key = next < 0 ? s.substring(start) : s.substring(start, next);
            if (key.isEmpty()) {
                throw ApiException.parse("failed to parse JSON path \"" + text + "\"", "a key is expected after '->'");
            }
            if (key.length() > 1 && key.startsWith("'") && key.endsWith("'")) {
                key = key.substring(1, key.length() - 1);
            }
            path.add(new PathStep(key, asText));
            i = next;
        }
        return new FieldRef(column, path);
    }
}
