// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import java.util.List;
import java.util.Map;

/**
 * A function of an {@code api_vN} schema callable as {@code /rpc/<name>}: its input arguments
 * (names and types; the last {@code defaults} have defaults), whether it returns a set, and the
 * columns of its result rows when it returns rows (empty for a scalar result), and whether it
 * returns {@code void} (answered 204, as in PostgREST).
 */
public record Routine(String schema, String name, List<String> argNames, List<String> argTypes, int defaults,
                      boolean returnsSet, Map<String, Column> resultColumns, char volatility, boolean returnsVoid) {
    public Routine {
        argNames = List.copyOf(argNames);
        argTypes = List.copyOf(argTypes);
        resultColumns = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(resultColumns));
    }

    /** Whether a call naming exactly these arguments matches: all are known and every one without default is given. */
    public boolean accepts(java.util.Set<String> given) {
        if (!argNames.containsAll(given)) {
            return false;
        }
        for (int i = 0; i < argNames.size() - defaults; i++) {
            if (!given.contains(argNames.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** The result as a relation, so that filters, select and order apply to returned rows. */
    public Relation asRelation() {
        return new Relation(schema, name, resultColumns);
    }
}
