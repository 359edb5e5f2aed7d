// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** What kind of value a setting holds, and how its text is checked. */
public enum ValueType {
    TEXT("TEXT"),
    /** Comma-separated; blanks around items and empty items are dropped. */
    LIST("A,B,..."),
    INTEGER("N"),
    BOOLEAN("true|false"),
    /** ISO-8601, e.g. PT5S. */
    DURATION("DURATION"),
    PATH("PATH");

    private final String label;

    ValueType(String label) {
        this.label = label;
    }

    /** How help texts name a value of this type. */
    public String label() {
        return label;
    }

    /** Why {@code text} is not a value of this type ("must be ..."), or empty when it is one. */
    Optional<String> problem(String text) {
        switch (this) {
            case INTEGER -> {
                try {
                    Long.parseLong(text.strip());
                } catch (NumberFormatException e) {
                    return Optional.of("must be an integer");
                }
            }
            case BOOLEAN -> {
                String v = text.strip().toLowerCase(Locale.ROOT);
                if (!v.equals("true") && !v.equals("false")) {
                    return Optional.of("must be true or false");
                }
            }
            case DURATION -> {
                try {
                    Duration.parse(text.strip());
                } catch (DateTimeParseException e) {
                    return Optional.of("must be an ISO-8601 duration such as PT5S");
                }
            }
            case PATH -> {
                if (text.isBlank()) {
                    return Optional.of("must be a path");
                }
            }
            default -> {
                // any text
            }
        }
        return Optional.empty();
    }

    static long integer(String text) {
        return Long.parseLong(text.strip());
    }

    static boolean bool(String text) {
        return text.strip().equalsIgnoreCase("true");
    }

    static Duration duration(String text) {
        return Duration.parse(text.strip());
    }

    static List<String> list(String text) {
        return Arrays.stream(text.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
