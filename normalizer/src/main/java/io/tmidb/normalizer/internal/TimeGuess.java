// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.stored.mapping.Values.TimeReader;

import java.util.ArrayList;
import java.util.List;

/**
 * The timestamp format that reads a column's values, tried in a fixed order with the mapping's own
 * reader (so a suggested format is one the rule will read): ISO 8601, epoch seconds, epoch
 * milliseconds, then common layouts. Patterns use only the letters tmi.check_mapping_rule accepts.
 *
 * @param format  {@code iso8601}, {@code epoch_s}, {@code epoch_ms} or {@code pattern}
 * @param pattern the layout of {@code pattern}, else null
 * @param share   the part of the present values it reads
 * @param note    what to check (an ambiguous day/month order, a missing offset), or null
 */
public record TimeGuess(String format, String pattern, double share, String note) {
    private static final int PROBE = 12;
    private static final int VERIFY = 300;
    private static final String[] PATTERNS = {
        "yyyy-MM-dd", "dd/MM/yyyy HH:mm", "dd/MM/yyyy HH:mm:ss", "MM/dd/yyyy HH:mm", "MM/dd/yyyy HH:mm:ss",
        "MM/dd/yyyy h:mm a", "MM/dd/yyyy hh:mm:ss a", "dd.MM.yyyy HH:mm", "dd.MM.yyyy HH:mm:ss", "yyyy/MM/dd HH:mm",
        "yyyy/MM/dd HH:mm:ss", "dd-MM-yyyy HH:mm", "dd-MM-yyyy HH:mm:ss", "yyyyMMdd HHmm", "yyyyMMddHHmmss",
        "dd MMM yyyy HH:mm", "dd MMM yyyy HH:mm:ss", "EEE, dd MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm", "dd/MM/yyyy",
        "MM/dd/yyyy", "dd.MM.yyyy", "yyyy/MM/dd", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm'Z'",
    };
    private static final List<TimeGuess> CANDIDATES = new ArrayList<>();
    private static final List<TimeReader> READERS = new ArrayList<>();

    static {
        add("iso8601", null);
        add("epoch_s", null);
        add("epoch_ms", null);
        for (String p : PATTERNS) {
            add("pattern", p);
        }
    }

    private static void add(String format, String pattern) {
        CANDIDATES.add(new TimeGuess(format, pattern, 0, null));
        READERS.add(new TimeReader(format, pattern, null));
    }

    /** The format that reads the most of the values (at least 90 %), or null. */
    public static TimeGuess of(List<JsonNode> values) {
        List<JsonNode> present = new ArrayList<>();
        for (JsonNode v : values) {
            if (Shapes.present(v) && v.isValueNode() && !v.isBoolean()) {
                present.add(v);
                if (present.size() >= VERIFY) {
                    break;
                }
            }
        }
        if (present.isEmpty()) {
            return null;
        }
        boolean anyString = present.stream().anyMatch(JsonNode::isTextual);
        if (anyString && !looksDated(present.get(0))) {
            return null;
        }
        TimeGuess best = null;
        List<String> alsoRead = new ArrayList<>();
        for (int c = 0; c < CANDIDATES.size(); c++) {
            TimeGuess cand = CANDIDATES.get(c);
            if (!anyString && !cand.format.startsWith("epoch")) {
                continue;
            }
            // one value first: most columns are no time at all, and a failed parse costs an exception
            if (share(READERS.get(c), present.subList(0, 1)) < 1) {
                continue;
            }
            double probe = share(READERS.get(c), present.subList(0, Math.min(PROBE, present.size())));
            if (probe < 0.9) {
                continue;
            }
            double all = share(READERS.get(c), present);
            if (all < 0.9) {
                continue;
            }
            if (best == null) {
                best = new TimeGuess(cand.format, cand.pattern, all, null);
            } else if (best.format.equals("pattern") && all >= best.share) {
                alsoRead.add(cand.pattern);
            }
        }
        if (best == null) {
            return null;
        }
        String note = null;
        if (!alsoRead.isEmpty()) {
            note = "the values also read as \"" + alsoRead.get(0) + "\": check the day and month order";
        } else if (best.format.equals("pattern") && !best.pattern.contains("Z") && !best.pattern.contains("X")
                || best.format.equals("iso8601") && present.stream().noneMatch(TimeGuess::hasOffset)) {
            note = "written without an offset: read as UTC (set \"timezone\" if local)";
        }
        return new TimeGuess(best.format, best.pattern, best.share, note);
    }

    /** A digit and a date separator, or eight digits in a row: anything else is no time, cheaply. */
    private static boolean looksDated(JsonNode v) {
        if (!v.isTextual()) {
            return true;
        }
        String s = v.asText();
        if (s.length() < 6 || s.length() > 40) {
            return false;
        }
        int digits = 0;
        boolean separator = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            digits += Character.isDigit(ch) ? 1 : 0;
            separator |= ch == '-' || ch == '/' || ch == '.' || ch == ':';
        }
        return digits >= 6 && (separator || digits >= 8);
    }

    private static boolean hasOffset(JsonNode v) {
        String s = v.asText().strip();
        return s.endsWith("Z") || s.endsWith("z") || s.length() > 19 && s.substring(19).matches(".*[+-]\\d{2}(:?\\d{2})?");
    }

    private static double share(TimeReader r, List<JsonNode> values) {
        int ok = 0;
        for (JsonNode v : values) {
            if (r.read(Shapes.jsonType(v), Shapes.text(v)) != null) {
                ok++;
            }
        }
        return ok / (double) values.size();
    }
}
