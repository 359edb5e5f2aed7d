// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A rule a well-typed value must also obey. It answers why a value breaks it ("must ..."), or
 * nothing; the type has been checked before, so a rule may parse the value.
 */
@FunctionalInterface
public interface Check {
    Check NONE = value -> Optional.empty();

    Optional<String> problem(String value);

    static Check range(long min, long max) {
        return v -> {
            long n = ValueType.integer(v);
            return n < min || n > max ? Optional.of("must lie in [" + min + ", " + max + "]") : Optional.empty();
        };
    }

    static Check atLeast(long min) {
        return v -> ValueType.integer(v) < min ? Optional.of("must be at least " + min) : Optional.empty();
    }

    static Check positiveDuration() {
        return v -> {
            var d = ValueType.duration(v);
            return d.isNegative() || d.isZero() ? Optional.of("must be a positive duration") : Optional.empty();
        };
    }

    static Check notBlank() {
        return v -> v.isBlank() ? Optional.of("must not be empty") : Optional.empty();
    }

    /** The whole value (stripped) matches {@code regex}; {@code rule} says it in words ("must be ..."). */
    static Check matches(String regex, String rule) {
        Pattern p = Pattern.compile(regex);
        return v -> p.matcher(v.strip()).matches() ? Optional.empty() : Optional.of(rule);
    }

    /** Every item of a comma-separated list obeys {@code item}. */
    static Check eachItem(Check item) {
        return v -> ValueType.list(v).stream().map(item::problem).flatMap(Optional::stream).findFirst();
    }

    /** Empty, or at least {@code min} characters. */
    static Check emptyOrLength(int min) {
        return v -> !v.isEmpty() && v.length() < min
                ? Optional.of("must have at least " + min + " characters, or be empty") : Optional.empty();
    }
}
