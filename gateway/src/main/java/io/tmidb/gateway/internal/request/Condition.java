// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.util.List;

/** A filter of the URL grammar: {@code field=[not.]op.value}, or {@code or=(...)} / {@code and=(...)} of others. */
public sealed interface Condition {
    /** {@code field op values}; {@code values} has one element except for {@code in}. */
    record Filter(FieldRef field, boolean negated, Operator op, List<String> values) implements Condition {
        public Filter {
            values = List.copyOf(values);
        }
    }

    /** Conditions joined with AND or OR, possibly negated. */
    record Logic(boolean and, boolean negated, List<Condition> children) implements Condition {
        public Logic {
            children = List.copyOf(children);
        }
    }
}
