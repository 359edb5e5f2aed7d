// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scopes of the listeners with open sessions, as {@code tmi.listener_scope} gives them (JSON
 * text the gateway does not interpret): kept so that a batch of events does not compute them again,
 * reloaded when subscriptions change ({@code NOTIFY tmi_listeners}) and every ws-scope-refresh.
 */
final class Scopes {
    /** What a listener that no longer exists may read: nothing. */
    private static final String NOTHING = "{\"kinds\": {}, \"targets\": {}}";
    private final Map<String, String> byListener = new ConcurrentHashMap<>();
    /** Counts the notified subscription changes: a load begun before the last one may hold a scope from before it. */
    private final AtomicLong changes = new AtomicLong();
    /** Moves whenever a scope held changes, comes or goes: readers given to the database before it moved are out of date. */
    private final AtomicLong version = new AtomicLong();

    /** Subscriptions changed (NOTIFY tmi_listeners): loads begun before now must not store what they read. */
    void changed() {
        changes.incrementAndGet();
    }

    /** The count of changes a load starts at, for {@link #put}. */
    long generation() {
        return changes.get();
    }

    /**
     * Stores what a load that began at {@code generation} read, unless subscriptions changed
     * since: then a later load (the reader's, on the notification) has the newer scopes.
     */
    void put(Map<String, String> found, long generation) {
        synchronized (changes) {
            if (changes.get() == generation) {
                found.forEach((listener, scope) -> {
                    if (!scope.equals(byListener.put(listener, scope))) {
                        version.incrementAndGet();
                    }
                });
            }
        }
    }

    boolean holds(String listener) {
        return byListener.containsKey(listener);
    }

    void remove(String listener) {
        if (byListener.remove(listener) != null) {
            version.incrementAndGet();
        }
    }

    /** The version of what is held; read it before {@link #readers}, which may then hold newer scopes, never older ones. */
    long version() {
        return version.get();
    }

    /** The listeners of these viewers whose scope is not held (yet, or any more). */
    List<String> missing(List<Viewer> viewers) {
        return viewers.stream().map(Viewer::listener).filter(l -> l != null && !byListener.containsKey(l)).distinct().toList();
    }

    Collection<String> listeners() {
        return List.copyOf(byListener.keySet());
    }

    /** The readers argument of {@code tmi.events_seen}: per viewer, its listener's scope (null: all) and fields. */
    String readers(List<Viewer> viewers) {
        StringBuilder out = new StringBuilder("[");
        for (Viewer v : viewers) {
            ObjectNode reader = WsDatabase.JSON.createObjectNode();
            if (v.fields() == null) {
                reader.putNull("fields");
            } else {
                ArrayNode fields = reader.putArray("fields");
                v.fields().forEach(fields::add);
            }
            String fields = reader.toString();
            String scope = v.listener() == null ? "null" : byListener.getOrDefault(v.listener(), NOTHING);
            out.append(out.length() > 1 ? "," : "").append("{\"scope\":").append(scope).append(',').append(fields, 1, fields.length());
        }
        return out.append(']').toString();
    }
}
