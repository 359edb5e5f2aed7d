// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.schema;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One snapshot of the API: the {@code api_vN} schemas in version order, and their relations and
 * functions. Immutable; the cache swaps whole snapshots.
 */
public record ApiSchemas(List<String> versions, Map<String, Map<String, Relation>> relations,
                         Map<String, Map<String, List<Routine>>> routines) {
    public ApiSchemas {
        versions = List.copyOf(versions);
        relations = Map.copyOf(relations);
        routines = Map.copyOf(routines);
    }

    /** The newest API version (the highest N), if there is any. */
    public Optional<String> newest() {
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    /** The newest version for which {@code has} holds, if any: where a request without a profile header is served. */
    public Optional<String> newest(Predicate<String> has) {
        for (int i = versions.size() - 1; i >= 0; i--) {
            if (has.test(versions.get(i))) {
                return Optional.of(versions.get(i));
            }
        }
        return Optional.empty();
    }

    public Optional<Relation> relation(String schema, String name) {
        return Optional.ofNullable(relations.getOrDefault(schema, Map.of()).get(name));
    }

    public List<Routine> routines(String schema, String name) {
        return routines.getOrDefault(schema, Map.of()).getOrDefault(name, List.of());
    }
}
