// SPDX-License-Identifier: MIT
package io.tmidb.stored.alarm;

import java.time.Duration;

/**
 * A threshold on an observation field. The condition is {@code value op threshold}; an open
 * alarm clears when the value reaches {@code clearAt}, inclusive (hysteresis: at or below it for
 * "&gt;"-style operators, at or above it for "&lt;"-style ones), or, without clearAt, as soon as the
 * condition fails.
 */
record AlarmRule(long ruleId, String field, String op, double threshold, Double clearAt, Duration forDuration) {

    boolean holds(double v) {
        return switch (op) {
            case ">" -> v > threshold;
            case ">=" -> v >= threshold;
            case "<" -> v < threshold;
            case "<=" -> v <= threshold;
            case "=" -> v == threshold;
            case "<>" -> v != threshold;
            default -> throw new IllegalStateException("unknown operator " + op);
        };
    }

    boolean clears(double v) {
        if (clearAt == null) {
            return !holds(v);
        }
        return op.startsWith(">") ? v <= clearAt : v >= clearAt;
    }
}
