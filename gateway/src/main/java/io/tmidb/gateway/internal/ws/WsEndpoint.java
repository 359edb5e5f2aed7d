// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.auth.JwtAuthenticator;
import io.tmidb.gateway.internal.auth.TokenRegistry;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.schema.SchemaListener;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code /tmi/ws} and {@code /tmi/ws/<listener>}: the JSON protocol of docs/websocket.md. A client
 * authenticates (token in the {@code Authorization} header, the {@code token} query parameter or an
 * {@code auth} message), gets {@code ready}, subscribes once, and then receives events, heartbeats
 * and errors. Speakers and admins see every event on {@code /tmi/ws}; a listener sees its own
 * subscriptions; {@code /tmi/ws/<listener>} is that listener's stream, for the listener itself or a
 * speaker. A session whose token is revoked (or deleted with its listener) is closed at once
 * with 4001, as when it expires.
 */
public final class WsEndpoint implements AutoCloseable {
    /** Seconds a client has to authenticate after connecting. */
    static final long AUTH_SECONDS = 10;
    /** How long a stopping gateway waits for its clients to answer the close (1001). */
    static final long CLOSE_SECONDS = 5;
    private static final Logger LOG = Logger.getLogger(WsEndpoint.class.getName());
    private final JwtAuthenticator auth;
    private final int capacity;
    private final EventReader reader;
    private final WsDatabase db;
    private final ReplayBatches replayBatches;
    private final Scopes scopes;
    private final Map<String, WsSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();
    /** The token id (jti) each authenticated session holds, to close it when the token is revoked. */
    private final Map<String, String> tokenIds = new ConcurrentHashMap<>();
    private final TokenRegistry tokens;
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "tmidb-gateway-ws-timers"));
    private final ExecutorService replays = Executors.newFixedThreadPool(4, r -> daemon(r, "tmidb-gateway-ws-replay"));
    private final ExecutorService writers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            r -> daemon(r, "tmidb-gateway-ws-writer"));

    private WsEndpoint(JwtAuthenticator auth, TokenRegistry tokens, int capacity, EventReader reader, WsDatabase db, Scopes scopes) {
        this.auth = auth;
        this.tokens = tokens;
        this.capacity = capacity;
        this.reader = reader;
        this.db = db;
        this.replayBatches = new ReplayBatches(db);
        this.scopes = scopes;
        timers.setRemoveOnCancelPolicy(true);
    }

    /** Starts the event reader (at the newest event) and the timers; {@code opener} gives connections acting as tmi_admin. */
    public static WsEndpoint start(SchemaListener.Opener opener, JwtAuthenticator auth, TokenRegistry tokens, int capacity,
                                   Duration heartbeat, Duration sweep, Duration scopeRefresh) throws SQLException {
        Scopes scopes = new Scopes();
        WsEndpoint ws = new WsEndpoint(auth, tokens, capacity, EventReader.start(opener, scopes, sweep),
                new WsDatabase(opener, scopes), scopes);
        tokens.subscribe(ws::revoked);
        ws.timers.scheduleAtFixedRate(ws::heartbeats, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        long window = DeliveryTimings.window();
        if (window > 0) {
            DeliveryTimings timings = ws.reader.hub().timings();
            ws.timers.scheduleAtFixedRate(timings::logWindow, window, window, TimeUnit.SECONDS);
        }
        ws.timers.scheduleWithFixedDelay(ws::refreshScopes, scopeRefresh.toMillis(), scopeRefresh.toMillis(), TimeUnit.MILLISECONDS);
        return ws;
    }

    /** The handlers of one route. */
    public void configure(WsConfig ws) {
        ws.onConnect(ctx -> connected(ctx));
        ws.onMessage(ctx -> message(ctx, ctx.message()));
        ws.onBinaryMessage(ctx -> {
            WsSession s = sessions.get(ctx.sessionId());
            if (s != null) {
                s.error("bad-message", "binary frames are not accepted; messages are JSON objects in text frames");
            }
        });
        ws.onClose(ctx -> gone(ctx));
        ws.onError(ctx -> gone(ctx));
    }

    private void connected(WsContext ctx) {
        WsSession s = new WsSession(ctx.session, capacity, writers, reader.hub().timings());
        sessions.put(ctx.sessionId(), s);
        String header = ctx.header("Authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : ctx.queryParam("token");
        if (token != null && !token.isEmpty()) {
            authenticate(ctx, s, token);
            return;
        }
        timers.schedule(() -> {
            if (s.state() == WsSession.State.CONNECTED) {
                s.close(CloseCodes.UNAUTHORIZED, "no auth message within " + AUTH_SECONDS + " s");
            }
        }, AUTH_SECONDS, TimeUnit.SECONDS);
    }

    private void message(WsContext ctx, String text) {
        WsSession s = sessions.get(ctx.sessionId());
        if (s == null) {
            return;
        }
        JsonNode msg;
        try {
            msg = WsDatabase.JSON.readTree(text);
        } catch (IOException e) {
            s.error("bad-message", "messages are JSON objects with a type");
            return;
        }
        String type = msg.path("type").asText("");
        switch (type) {
            case "auth" -> {
                if (s.state() != WsSession.State.CONNECTED) {
                    s.error("already-authenticated", "this connection is authenticated already");
                } else {
                    authenticate(ctx, s, msg.path("token").asText(""));
                }
            }
            case "subscribe" -> subscribe(s, msg);
            default -> s.error("bad-message", "unknown message type '" + type + "'; use auth or subscribe");
        }
    }

    private void authenticate(WsContext ctx, WsSession s, String token) {
        String path = ctx.pathParamMap().get("listener");
        Caller caller;
        try {
            caller = auth.authenticate("Bearer " + token);
        } catch (ApiException e) {
            s.close(CloseCodes.UNAUTHORIZED, e.code() + ": " + e.getMessage());
            return;
        }
        boolean speaker = caller.role().equals("tmi_speaker") || caller.role().equals("tmi_admin");
        String claimed = claim(caller);
        if (!speaker && (!caller.role().equals("tmi_listener") || claimed == null)) {
            s.close(CloseCodes.FORBIDDEN, "role " + caller.role() + " without a listener claim may not read events");
            return;
        }
        if (!speaker && path != null && !path.equals(claimed)) {
            s.close(CloseCodes.FORBIDDEN, "the token is for listener " + claimed + ", not " + path);
            return;
        }
        String listener = speaker ? path : claimed;
        // a scope held is reloaded when subscriptions change and every ws-scope-refresh, which closes the sessions of a
        // dropped listener: only a listener not held yet is looked up (10,000 clients of a few listeners: a few queries)
        if (listener != null && !scopes.holds(listener)) {
            try {
                if (!db.loadScopes(List.of(listener)).isEmpty()) {
                    s.close(CloseCodes.UNKNOWN_LISTENER, "listener " + listener + " does not exist");
                    return;
                }
            } catch (SQLException e) {
                LOG.log(Level.WARNING, "cannot load the subscriptions of listener " + listener + "; the client was closed with 1011", e);
                s.close(CloseCodes.SERVER_ERROR, "cannot load the listener's subscriptions: " + e.getSQLState());
                return;
            }
        }
        s.ready(caller.role(), listener, reader.hub().lastId());
        String jti = claims(caller).path("jti").asText("");
        if (!jti.isEmpty()) {
            tokenIds.put(ctx.sessionId(), jti);
            // a revocation notified between the check above and now found no session to close
            if (!stillAccepted(jti)) {
                s.close(CloseCodes.UNAUTHORIZED, "PGRST303: JWT revoked");
                return;
            }
        }
        long exp = claims(caller).path("exp").asLong(0);
        if (exp > 0) {
            expiries.put(ctx.sessionId(), timers.schedule(() -> s.close(CloseCodes.UNAUTHORIZED, "PGRST303: JWT expired"),
                    Math.max(0, exp * 1000 - System.currentTimeMillis()), TimeUnit.MILLISECONDS));
        }
    }

    private void subscribe(WsSession s, JsonNode msg) {
        WsSession.State state = s.state();
        if (state == WsSession.State.CONNECTED) {
            s.close(CloseCodes.UNAUTHORIZED, "authenticate before subscribing");
            return;
        }
        if (state != WsSession.State.READY) {
            s.error("already-subscribed", "a connection subscribes once; open another one for another filter");
            return;
        }
        ClientFilter filter;
        try {
            filter = ClientFilter.parse(msg);
        } catch (IllegalArgumentException e) {
            s.error("bad-subscribe", e.getMessage());
            return;
        }
        JsonNode since = msg.get("since");
        if (since != null && !since.isNull() && !(since.canConvertToLong() && since.isIntegralNumber() && since.asLong() >= 0)) {
            s.error("bad-subscribe", "since must be an event id (an integer >= 0), or absent for live events only");
            return;
        }
        Hub hub = reader.hub();
        long from = since == null || since.isNull() ? hub.lastId() : since.asLong();
        if (from > hub.lastId() && beyondTheLastEvent(s, from)) {
            return;
        }
        s.subscribe(filter, from);
        hub.add(s);
        if (s.state() == WsSession.State.CLOSED) {
            // closed while subscribing: its gone() may have run before the add
            hub.remove(s);
        }
        replays.execute(new Replay(s, from, hub, replayBatches));
    }

    /**
     * Whether {@code since} names an event that does not exist yet, answered with an error frame
     * (the session stays ready to subscribe again). Such a cursor comes from another database or
     * a restored backup: replaying "after" it would silently skip every event up to it. The
     * database is asked too, since this gateway's reader may lag behind the newest event.
     */
    private boolean beyondTheLastEvent(WsSession s, long since) {
        long last;
        try {
            last = db.lastEventId();
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "cannot read the last event id to check a subscription's since; the client got an error frame", e);
            s.error("unavailable", "cannot check since now (" + e.getSQLState() + "); subscribe again");
            return true;
        }
        if (since <= last) {
            return false;
        }
        s.error("bad-subscribe", "since " + since + " is beyond the last event, " + last
                + "; use an id this server sent, or omit since for live events only");
        return true;
    }

    /** Closes the sessions holding token {@code jti}; with null, those whose token is no longer accepted. */
    private void revoked(String jti) {
        tokenIds.forEach((sessionId, held) -> {
            WsSession s = sessions.get(sessionId);
            if (s != null && (jti == null ? !stillAccepted(held) : held.equals(jti))) {
                s.close(CloseCodes.UNAUTHORIZED, "PGRST303: JWT revoked");
            }
        });
    }

    private boolean stillAccepted(String jti) {
        try {
            return tokens.accepts(jti);
        } catch (SQLException e) {
            // unknown for now: the session keeps going, new requests with the token are checked again
            return true;
        }
    }

    private void gone(WsContext ctx) {
        tokenIds.remove(ctx.sessionId());
        ScheduledFuture<?> expiry = expiries.remove(ctx.sessionId());
        if (expiry != null) {
            expiry.cancel(false);
        }
        WsSession s = sessions.remove(ctx.sessionId());
        if (s != null) {
            s.closed();
            reader.hub().remove(s);
        }
    }

    private void heartbeats() {
        // read once, before the sessions: each live one has every frame up to it queued
        long offered = reader.hub().offeredId();
        sessions.values().forEach(s -> s.heartbeat(offered));
    }

    /** Reloads the scopes of the listeners with sessions (covers a rule changed in the database); closes those dropped. */
    private void refreshScopes() {
        Set<String> listeners = new HashSet<>();
        sessions.values().forEach(s -> {
            if (s.listener() != null) {
                listeners.add(s.listener());
            }
        });
        // listeners whose sessions all ended are forgotten
        scopes.listeners().stream().filter(l -> !listeners.contains(l)).forEach(scopes::remove);
        List<String> gone;
        try {
            gone = db.loadScopes(listeners);
        } catch (SQLException e) {
            LOG.log(Level.WARNING, "cannot reload the subscriptions of WebSocket listeners; sessions keep the ones"
                    + " they have and the next ws-scope-refresh tries again", e);
            return;
        }
        for (WsSession s : sessions.values()) {
            if (s.listener() != null && gone.contains(s.listener())) {
                s.close(CloseCodes.UNKNOWN_LISTENER, "listener " + s.listener() + " was dropped");
            }
        }
    }

    private static String claim(Caller caller) {
        JsonNode listener = claims(caller).get("listener");
        return listener == null || !listener.isTextual() ? null : listener.asText();
    }

    private static JsonNode claims(Caller caller) {
        try {
            return WsDatabase.JSON.readTree(caller.claimsJson());
        } catch (IOException e) {
            return WsDatabase.JSON.createObjectNode();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Closes every session with 1001 (going away), waits up to {@link #CLOSE_SECONDS} for the
     * clients to answer, and stops reading events.
     */
    @Override
    public void close() {
        timers.shutdownNow();
        replays.shutdownNow();
        reader.close();
        List<WsSession> open = List.copyOf(sessions.values());
        open.forEach(s -> s.close(CloseCodes.GOING_AWAY, "the gateway is stopping"));
        // the HTTP server stops next and drops every connection: a client whose close frame was still queued
        // behind its events, or unread, would see the connection fail (1006) instead of the gateway stopping
        try {
            CompletableFuture.allOf(open.stream().map(WsSession::ended).toArray(CompletableFuture[]::new))
                    .get(CLOSE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.info(() -> open.stream().filter(s -> !s.ended().isDone()).count() + " WebSocket clients did not answer the close within "
                    + CLOSE_SECONDS + " s; their connections are dropped");
        } catch (ExecutionException e) {
            throw new IllegalStateException("ended() completes normally", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writers.shutdown();
        db.close();
    }
}
