// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one listener may see, compiled from its rows in {@code tmi.listener_subscription}: the rule
 * of {@code tmi.listener_sees} and {@code tmi.fields_of}. An event is visible when the listener is
 * subscribed to its target or its kind; its fields are the union of the matching subscriptions'
 * fields (all when one of them has none listed). {@link #EVERYTHING} is a speaker's or admin's view.
 */
final class ListenerScope {
    static final ListenerScope EVERYTHING = new ListenerScope(true, Map.of(), Map.of());
    private final Map<String, FieldSet> targets;
    private final Map<String, FieldSet> kinds;
    private final boolean everything;

    private ListenerScope(boolean everything, Map<String, FieldSet> targets, Map<String, FieldSet> kinds) {
        this.everything = everything;
        this.targets = Map.copyOf(targets);
        this.kinds = Map.copyOf(kinds);
    }

    /** The fields of the event this listener may read, or null when it may not see the event at all. */
    FieldSet fields(Event e) {
        if (everything) {
            return FieldSet.ALL;
        }
        FieldSet byTarget = e.targetId() == null ? null : targets.get(e.targetId());
        FieldSet byKind = e.kind() == null ? null : kinds.get(e.kind());
        if (byTarget == null) {
            return byKind;
        }
        return byKind == null ? byTarget : byTarget.union(byKind);
    }

    /** Collects subscriptions: each has a target id or a kind, and its fields (null: all). */
    static final class Builder {
        private final Map<String, FieldSet> targets = new HashMap<>();
        private final Map<String, FieldSet> kinds = new HashMap<>();

        Builder add(String targetId, String kind, List<String> fields) {
            FieldSet f = FieldSet.of(fields);
            if (targetId != null) {
                targets.merge(targetId, f, FieldSet::union);
            } else {
                kinds.merge(kind, f, FieldSet::union);
            }
            return this;
        }

        ListenerScope build() {
            return new ListenerScope(false, targets, kinds);
        }
    }
}
