// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.auth;

import io.tmidb.gateway.internal.schema.SchemaListener;
import io.tmidb.pgnotify.ListenLoop;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Which tokens issued by {@code tmi.issue_token} may still be used, by their id (the {@code jti}
 * claim), as {@code tmi.token} says. A request costs no database round trip: an id is looked up
 * once, on first sight, and the answer kept. {@code NOTIFY tmi_tokens} (sent by the database when a
 * token is revoked, or deleted with its listener) turns a kept answer into a refusal and is passed
 * on to the subscribers, so the WebSocket endpoint can close sessions holding the token.
 * <p>While the LISTEN connection is down, notifications are missed: each time it (re)connects,
 * every kept answer is forgotten, so each id is looked up afresh, and subscribers get {@code null}
 * ("check every token you hold again").
 */
public final class TokenRegistry implements JwtAuthenticator.Issued, AutoCloseable {
    /** The channel the extension notifies, with a token id as payload. */
    static final String CHANNEL = "tmi_tokens";
    private static final String LOOKUP = "SELECT revoked_at IS NULL FROM tmi.token WHERE token_id = CAST(? AS uuid)";
    private static final String UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    /** Kept answers beyond which all are forgotten (and looked up again as tokens come back). */
    private static final int MAX_KEPT = 100_000;
    private static final Logger LOG = Logger.getLogger(TokenRegistry.class.getName());
    private final SchemaListener.Opener opener;
    private final Map<String, Boolean> accepted = new ConcurrentHashMap<>();
    /** Bumped when kept answers are forgotten: a look-up that began before does not keep its answer. */
    private final AtomicLong generation = new AtomicLong();
    private final CopyOnWriteArrayList<Consumer<String>> subscribers = new CopyOnWriteArrayList<>();
    private final ListenLoop listener;
    private final Object lookupLock = new Object();
    private Connection lookupConnection;

    /** {@code opener} gives connections acting as tmi_admin (one for LISTEN, one for look-ups). */
    public TokenRegistry(SchemaListener.Opener opener) {
        this.opener = opener;
        this.listener = ListenLoop.named("gateway-token-listener").listen(CHANNEL).opener(opener::open)
                .whileDown("revocations take effect when it is back").build();
        listener.start((c, wakeups) -> {
            forgetAll(); // what was revoked while there was no connection is looked up again
            while (!wakeups.stopping()) {
                wakeups.await(Duration.ofSeconds(30)).stream().map(PGNotification::getParameter).forEach(this::revoked);
            }
        });
    }

    /** Whether the token with this id was issued here and is not revoked; looks it up on first sight. */
    @Override
    public boolean accepts(String jti) throws SQLException {
        Boolean known = accepted.get(jti);
        if (known != null) {
            return known;
        }
        if (!jti.matches(UUID)) {
            return false;
        }
        if (accepted.size() > MAX_KEPT) {
            generation.incrementAndGet();
            accepted.clear();
        }
        long before = generation.get();
        boolean valid = lookup(jti);
        if (generation.get() == before) {
            // a revocation notified meanwhile put its refusal first: keep that one
            Boolean kept = accepted.putIfAbsent(jti, valid);
            return kept == null ? valid : kept;
        }
        return valid;
    }

    /** {@code subscriber} gets the id of each token revoked, or null when all must be checked again. */
    public void subscribe(Consumer<String> subscriber) {
        subscribers.add(subscriber);
    }

    private boolean lookup(String jti) throws SQLException {
        synchronized (lookupLock) {
            try {
                if (lookupConnection == null || lookupConnection.isClosed()) {
                    lookupConnection = opener.open();
                }
                try (PreparedStatement ps = lookupConnection.prepareStatement(LOOKUP)) {
                    ps.setString(1, jti);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() && rs.getBoolean(1);
                    }
                }
            } catch (SQLException e) {
                closeLookup();
                throw e;
            }
        }
    }

    private void revoked(String jti) {
        accepted.put(jti, false);
        LOG.info(() -> "token " + jti + " revoked: refused from now on");
        tell(jti);
    }

    private void forgetAll() {
        generation.incrementAndGet();
        accepted.clear();
        tell(null);
    }

    private void tell(String jti) {
        for (Consumer<String> s : subscribers) {
            try {
                s.accept(jti);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a token revocation subscriber failed; the revocation still holds for new requests", e);
            }
        }
    }

    private void closeLookup() {
        try {
            if (lookupConnection != null) {
                lookupConnection.close();
            }
        } catch (SQLException ignored) {
            // it is being replaced: nothing to do with a failure to close it
        }
        lookupConnection = null;
    }

    @Override
    public void close() {
        listener.close();
        synchronized (lookupLock) {
            closeLookup();
        }
    }
}
