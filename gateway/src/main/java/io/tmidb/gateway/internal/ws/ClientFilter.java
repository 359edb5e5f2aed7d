// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a client asked for in its {@code subscribe} message, within what its listener may see:
 * targets, kinds and event types (each empty: any; an event type ending in {@code .*} matches that
 * prefix, {@code *} matches all) and fields (null: all the listener may read; the database narrows
 * the payloads to them, see {@link Viewer}).
 */
record ClientFilter(Set<String> targets, Set<String> kinds, List<String> events, List<String> fields) {

    /** Reads the filter from a subscribe message; malformed members raise {@link IllegalArgumentException}. */
    static ClientFilter parse(JsonNode msg) {
        List<String> fields = strings(msg, "fields");
        Set<String> targets = strings(msg, "targets").stream().map(t -> t.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        return new ClientFilter(targets, Set.copyOf(strings(msg, "kinds")),
                List.copyOf(strings(msg, "events")), msg.has("fields") && !msg.get("fields").isNull() ? List.copyOf(fields) : null);
    }

    boolean matches(Event e) {
        return (targets.isEmpty() || targets.contains(e.targetId())) && (kinds.isEmpty() || kinds.contains(e.kind()))
                && (events.isEmpty() || events.stream().anyMatch(p -> typeMatches(p, e.type())));
    }

    private static boolean typeMatches(String pattern, String type) {
        if (pattern.equals("*")) {
            return true;
        }
        return pattern.endsWith(".*") ? type.startsWith(pattern.substring(0, pattern.length() - 1)) : pattern.equals(type);
    }

    private static List<String> strings(JsonNode msg, String member) {
        JsonNode node = msg.get(member);
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(member + " must be an array of strings");
        }
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw new IllegalArgumentException(member + " must be an array of strings, found " + item);
            }
            out.add(item.asText());
        }
        return out;
    }
}
