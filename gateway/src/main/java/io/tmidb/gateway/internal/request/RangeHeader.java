// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code Range: <first>-[<last>]} request header (unit items), as PostgREST reads it. */
public record RangeHeader(long first, Long last) {
    private static final Pattern RANGE = Pattern.compile("^\\s*(?:items=)?(\\d{1,18})-(\\d{1,18})?\\s*$");

    /** The header's range, or null without a header. */
    public static RangeHeader parse(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        Matcher m = RANGE.matcher(header);
        if (!m.matches()) {
            throw ApiException.parse("failed to parse Range header (" + header + ")", "expected first-last, e.g. 0-9");
        }
        long first = Long.parseLong(m.group(1));
        Long last = m.group(2) == null ? null : Long.parseLong(m.group(2));
        if (last != null && last < first) {
            throw new ApiException(416, "PGRST103", "Requested range not satisfiable",
                    "The lower boundary must be lower than or equal to the upper boundary in the Range header.", null,
                    Map.of("Content-Range", "*/*"));
        }
        return new RangeHeader(first, last);
    }
}
