// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.util.List;

/** A filter of the URL grammar: {@code field=[not.]op.value}, or {@code or=(...)} / {@code and=(...)} of others. */
public sealed interface Condition {
    /**
     * {@code field op values}; {@code values} has one element except for {@code in}.
     * {@code quantifier} is {@code ANY} or {@code ALL} for {@code op(any)}/{@code op(all)} (the value
     * is then a PostgreSQL array literal), else null; {@code language} is the text search
     * configuration of {@code fts(english)} and its kin, else null.
     */
    record Filter(FieldRef field, boolean negated, Operator op, List<String> values, String quantifier, String language)
            implements Condition {
        public Filter {
            values = List.copyOf(values);
        }

        public Filter(FieldRef field, boolean negated, Operator op, List<String> values) {
            this(field, negated, op, values, null, null);
        }
    }

    /** Conditions joined with AND or OR, possibly negated. */
    record Logic(boolean and, boolean negated, List<Condition> children) implements Condition {
        public Logic {
            children = List.copyOf(children);
        }
    }
}
