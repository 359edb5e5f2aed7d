// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The subscribed sessions, indexed by the narrowest part of their filters, so that an event visits
 * only the sessions that may want it: a session that names targets is found under each of them, one
 * that names kinds (and no targets) under each kind, and the others under "any". Each session thus
 * lies in one group and is visited at most once per event; it still applies its whole filter
 * ({@link ClientFilter#matches}). With 10,000 sessions each naming its own target, an event visits
 * its target's sessions and not the 10,000.
 * <p>It also counts the sessions of each {@link Viewer}: the distinct viewers are whom the event
 * reader reads for, and asking for them must not walk every session at every turn.
 * Safe for concurrent use: sessions come and go on Jetty's threads while the reader publishes.
 */
final class SessionIndex {
    private final Set<WsSession> members = ConcurrentHashMap.newKeySet();
    private final Map<String, Set<WsSession>> byTarget = new ConcurrentHashMap<>();
    private final Map<String, Set<WsSession>> byKind = new ConcurrentHashMap<>();
    private final Set<WsSession> any = ConcurrentHashMap.newKeySet();
    private final Map<Viewer, Integer> viewers = new ConcurrentHashMap<>();

    /** Adds a subscribed session (its filter and viewer set); adding it twice changes nothing. */
    void add(WsSession s) {
        if (!members.add(s)) {
            return;
        }
        ClientFilter f = s.filter();
        if (!f.targets().isEmpty()) {
            f.targets().forEach(t -> join(byTarget, t, s));
        } else if (!f.kinds().isEmpty()) {
            f.kinds().forEach(k -> join(byKind, k, s));
        } else {
            any.add(s);
        }
        viewers.merge(s.viewer(), 1, Integer::sum);
    }

    /** Removes a session; one that was never added is ignored. */
    void remove(WsSession s) {
        if (!members.remove(s)) {
            return;
        }
        ClientFilter f = s.filter();
        if (!f.targets().isEmpty()) {
            f.targets().forEach(t -> leave(byTarget, t, s));
        } else if (!f.kinds().isEmpty()) {
            f.kinds().forEach(k -> leave(byKind, k, s));
        } else {
            any.remove(s);
        }
        viewers.computeIfPresent(s.viewer(), (v, n) -> n == 1 ? null : n - 1);
    }

    /** The distinct viewers of the indexed sessions. */
    List<Viewer> viewers() {
        return List.copyOf(viewers.keySet());
    }

    /** Hands {@code visit} each session whose filter may match {@code e} (and only those, each once). */
    void candidates(Event e, Consumer<WsSession> visit) {
        if (e.targetId() != null) {
            visitAll(byTarget.get(e.targetId()), visit);
        }
        if (e.kind() != null) {
            visitAll(byKind.get(e.kind()), visit);
        }
        any.forEach(visit);
    }

    int size() {
        return members.size();
    }

    private static void visitAll(Set<WsSession> group, Consumer<WsSession> visit) {
        if (group != null) {
            group.forEach(visit);
        }
    }

    /** Joins a group inside the map's lock, which {@link #leave} takes too: a group is never dropped while one joins it. */
    private static void join(Map<String, Set<WsSession>> groups, String key, WsSession s) {
        groups.compute(key, (k, group) -> {
            Set<WsSession> g = group == null ? ConcurrentHashMap.newKeySet() : group;
            g.add(s);
            return g;
        });
    }

    private static void leave(Map<String, Set<WsSession>> groups, String key, WsSession s) {
        groups.computeIfPresent(key, (k, group) -> {
            group.remove(s);
            return group.isEmpty() ? null : group;
        });
    }
}
