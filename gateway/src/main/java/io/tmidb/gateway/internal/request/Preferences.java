// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Prefer} headers, as PostgREST reads them: {@code return=}, {@code count=},
 * {@code resolution=}, {@code missing=}, {@code handling=} and {@code max-affected=}. A preference
 * given twice counts the first time. Unknown preferences are ignored (RFC 7240), unless
 * {@code handling=strict} asks for them to be refused ({@code 400 PGRST122}).
 * {@link #applied} lists what a request honoured, for {@code Preference-Applied}.
 */
public record Preferences(String returning, Count count, String resolution, String missing, String handling,
                          Long maxAffected) {
    /** {@code Prefer: count=...}. */
    public enum Count {
        EXACT, PLANNED, ESTIMATED;

        String header() {
            return "count=" + name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What a request is, for which preferences apply to it. */
    public enum Target { READ, CALL, INSERT, UPSERT_INSERT, PUT, UPDATE, DELETE }

    /** Reads every {@code Prefer} header (clients may send several). */
    public static Preferences parse(List<String> headers) {
        String returning = null;
        Count count = null;
        String resolution = null;
        String missing = null;
        String handling = null;
        Long maxAffected = null;
        List<String> invalid = new ArrayList<>();
        for (String header : headers) {
            for (String part : header.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) {
                    continue;
                }
                switch (p) {
                    case "return=representation", "return=minimal", "return=headers-only" ->
                            returning = returning == null ? p.substring("return=".length()) : returning;
                    case "count=exact", "count=planned", "count=estimated" ->
                            count = count == null ? Count.valueOf(p.substring("count=".length()).toUpperCase(java.util.Locale.ROOT)) : count;
                    case "resolution=merge-duplicates", "resolution=ignore-duplicates" ->
                            resolution = resolution == null ? p.substring("resolution=".length()) : resolution;
                    case "missing=default", "missing=null" -> missing = missing == null ? p.substring("missing=".length()) : missing;
                    case "handling=strict", "handling=lenient" -> handling = handling == null ? p.substring("handling=".length()) : handling;
                    default -> {
                        Long n = p.startsWith("max-affected=") ? number(p.substring("max-affected=".length())) : null;
                        if (n != null) {
                            maxAffected = maxAffected == null ? n : maxAffected;
                        } else if (!p.startsWith("timezone=") && !p.startsWith("tx=")) {
                            invalid.add(p);
                        }
                    }
                }
            }
        }
        if ("strict".equals(handling) && !invalid.isEmpty()) {
            throw new ApiException(400, "PGRST122", "Invalid preferences given with handling=strict",
                    "Invalid preferences: " + String.join(", ", invalid), null);
        }
        return new Preferences(returning, count, resolution, missing, handling, maxAffected);
    }

    private static Long number(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public boolean representation() {
        return "representation".equals(returning);
    }

    /** Whether the response tells the total ({@code count=exact}, or {@code estimated}, which is exact here: no max-rows). */
    public boolean countsRows() {
        return count == Count.EXACT || count == Count.ESTIMATED;
    }

    public boolean mergeDuplicates() {
        return "merge-duplicates".equals(resolution);
    }

    public boolean missingDefault() {
        return "default".equals(missing);
    }

    /** The most rows a PATCH, DELETE or call may affect, or null: only with {@code handling=strict}. */
    public Long strictMaxAffected() {
        return "strict".equals(handling) ? maxAffected : null;
    }

    /** {@code Preference-Applied} for a request of this kind, in PostgREST's order; empty when none. */
    public String applied(Target target) {
        boolean mutation = target != Target.READ && target != Target.CALL;
        List<String> out = new ArrayList<>();
        if (resolution != null && target == Target.UPSERT_INSERT) {
            out.add("resolution=" + resolution);
        }
        if (missing != null && (target == Target.INSERT || target == Target.UPSERT_INSERT || target == Target.UPDATE)) {
            out.add("missing=" + missing);
        }
        if (returning != null && mutation) {
            out.add("return=" + returning);
        }
        if (count != null) {
            out.add(count.header());
        }
        if (handling != null) {
            out.add("handling=" + handling);
        }
        if (strictMaxAffected() != null && (target == Target.UPDATE || target == Target.DELETE || target == Target.CALL)) {
            out.add("max-affected=" + maxAffected);
        }
        return String.join(", ", out);
    }
}
