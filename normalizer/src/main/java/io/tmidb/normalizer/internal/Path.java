// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A member/index path, the subset of SQL/JSON paths the suggester writes ({@code $.a."b c"[0]}):
 * written in the rule's syntax and evaluated here on sampled trees, meaning the same as in
 * PostgreSQL for these forms.
 */
public final class Path {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    public static final Path ROOT = new Path(List.of());

    /** A member name, or an index when {@code name} is null. */
    public record Step(String name, int index) {
        public boolean isIndex() {
            return name == null;
        }
    }

    private final List<Step> steps;

    private Path(List<Step> steps) {
        this.steps = steps;
    }

    public Path member(String name) {
        return with(new Step(name, -1));
    }

    public Path index(int i) {
        return with(new Step(null, i));
    }

    private Path with(Step step) {
        List<Step> s = new ArrayList<>(steps);
        s.add(step);
        return new Path(Collections.unmodifiableList(s));
    }

    public List<Step> steps() {
        return steps;
    }

    public int depth() {
        return steps.size();
    }

    public Step last() {
        return steps.isEmpty() ? null : steps.get(steps.size() - 1);
    }

    /** The nearest member name, from the end (the array's name for an index step). */
    public String lastName() {
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (!steps.get(i).isIndex()) {
                return steps.get(i).name();
            }
        }
        return "";
    }

    /** The member name before the last step, or "". */
    public String parentName() {
        for (int i = steps.size() - 2; i >= 0; i--) {
            if (!steps.get(i).isIndex()) {
                return steps.get(i).name();
            }
        }
        return "";
    }

    /** The value at this path, or null when missing. */
    public JsonNode in(JsonNode node) {
        JsonNode n = node;
        for (Step s : steps) {
            if (n == null) {
                return null;
            }
            n = s.isIndex() ? (n.isArray() ? n.get(s.index()) : null) : (n.isObject() ? n.get(s.name()) : null);
        }
        return n;
    }

    /** Parses the forms {@link #toString} writes; anything else is refused with null. */
    public static Path parse(String text) {
        if (text == null || !text.startsWith("$")) {
            return null;
        }
        List<Step> s = new ArrayList<>();
        int i = 1;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '.' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                StringBuilder b = new StringBuilder();
                int j = i + 2;
                for (; j < text.length() && text.charAt(j) != '"'; j++) {
                    char d = text.charAt(j);
                    if (d == '\\' && j + 1 < text.length()) {
                        d = text.charAt(++j);
                    }
                    b.append(d);
                }
                s.add(new Step(b.toString(), -1));
                i = j + 1;
            } else if (c == '.') {
                int j = i + 1;
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
                    j++;
                }
                s.add(new Step(text.substring(i + 1, j), -1));
                i = j;
            } else if (c == '[') {
                int j = text.indexOf(']', i);
                if (j < 0) {
                    return null;
                }
                String inside = text.substring(i + 1, j).trim();
                if (inside.equals("*")) {
                    return null;
                }
                try {
                    s.add(new Step(null, Integer.parseInt(inside)));
                } catch (NumberFormatException e) {
                    return null;
                }
                i = j + 1;
            } else {
                return null;
            }
        }
        return new Path(Collections.unmodifiableList(s));
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("$");
        for (Step s : steps) {
            if (s.isIndex()) {
                b.append('[').append(s.index()).append(']');
            } else if (PLAIN.matcher(s.name()).matches()) {
                b.append('.').append(s.name());
            } else {
                b.append(".\"").append(s.name().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Path p && p.steps.equals(steps);
    }

    @Override
    public int hashCode() {
        return steps.hashCode();
    }
}
