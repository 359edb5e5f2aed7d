// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Prefer} header: {@code return=representation|minimal|headers-only} and
 * {@code count=exact}; {@link #applied()} lists what the gateway honoured, for {@code Preference-Applied}.
 */
public record Preferences(String returning, boolean countExact) {
    public static Preferences parse(String header) {
        String returning = "minimal";
        boolean count = false;
        if (header != null) {
            for (String part : header.split(",")) {
                String p = part.trim();
                switch (p) {
                    case "return=representation" -> returning = "representation";
                    case "return=minimal" -> returning = "minimal";
                    case "return=headers-only" -> returning = "headers-only";
                    case "count=exact" -> count = true;
                    default -> {
                        // unknown preferences are ignored, as RFC 7240 asks
                    }
                }
            }
        }
        return new Preferences(returning, count);
    }

    public boolean representation() {
        return returning.equals("representation");
    }

    public String applied(boolean mutation) {
        List<String> out = new ArrayList<>();
        if (mutation) {
            out.add("return=" + returning);
        }
        if (countExact) {
            out.add("count=exact");
        }
        return String.join(", ", out);
    }
}
