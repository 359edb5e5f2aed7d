// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * One client of {@code /tmi/ws}: who reads (its {@link Viewer}), what it asked for, and its outgoing frames. Frames
 * are queued in order (under this session's lock) and handed to Jetty's asynchronous writer by a
 * task on the shared {@code writers} pool, one task per session at a time, so that whoever enqueues
 * (the hub, a replay) never writes to a socket itself. At most {@code capacity} frames may be
 * unwritten; a client with a full queue is closed with {@link CloseCodes#SLOW_CONSUMER}: it has every event up to the last one it
 * processed and resumes from there, so nothing is lost silently.
 * <p>{@code considered} is the highest event id this session has examined (delivered or filtered
 * out); an event at or below it is never sent again, which makes replay and live meet without a
 * duplicate.
 */
final class WsSession {
    enum State { CONNECTED, READY, REPLAYING, LIVE, CLOSED }

    /** How long a replay waits for room in the queue before it closes the client as a slow consumer. */
    static final long REPLAY_WAIT_SECONDS = 30;
    private static final Logger LOG = Logger.getLogger(WsSession.class.getName());
    private final Session socket;
    private final int capacity;
    private final Executor writers;
    private final DeliveryTimings timings;
    private final ConcurrentLinkedQueue<Outgoing> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Write write = new Write();
    /** Completes when the connection has ended (the close handshake is done, or the connection failed). */
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private State state = State.CONNECTED;
    private long considered;
    private String listener;
    private volatile ClientFilter filter;
    private volatile Viewer viewer;

    WsSession(Session socket, int capacity, Executor writers, DeliveryTimings timings) {
        this.socket = socket;
        this.capacity = capacity;
        this.writers = writers;
        this.timings = timings;
    }

    /** A frame waiting for the socket's writer, with when it was queued (when timings are on). */
    private record Outgoing(String text, long queued) {
    }

    String listener() {
        return listener;
    }

    /** The session for log lines. */
    String who() {
        return listener == null ? "a speaker" : "listener " + listener;
    }

    synchronized State state() {
        return state;
    }

    /** What the client asked for, once subscribed (null before); it never changes after. */
    ClientFilter filter() {
        return filter;
    }

    /** Who reads and which fields, once subscribed (null before). */
    Viewer viewer() {
        return viewer;
    }

    /** Authenticated: the session may subscribe. */
    void ready(String role, String listener, long lastEventId) {
        synchronized (this) {
            this.listener = listener;
            state = State.READY;
            ObjectNode frame = WsDatabase.JSON.createObjectNode().put("type", "ready").put("role", role)
                    .put("listener", listener).put("last_event_id", lastEventId);
            enqueue(frame.toString());
        }
    }

    /** Starts the subscription after {@code since}, replaying until {@link #goLive} succeeds. */
    void subscribe(ClientFilter filter, long since) {
        synchronized (this) {
            this.filter = filter;
            this.viewer = new Viewer(listener, filter.fields());
            considered = since;
            state = State.REPLAYING;
            enqueue(WsDatabase.JSON.createObjectNode().put("type", "subscribed").put("since", since).toString());
        }
    }

    /** Switches from replay to live if the replay has reached {@code hubLastId}; the caller reads it under this lock. */
    synchronized boolean goLive(java.util.function.LongSupplier hubLastId) {
        if (state != State.REPLAYING) {
            return true;
        }
        if (hubLastId.getAsLong() > considered) {
            return false;
        }
        state = State.LIVE;
        return true;
    }

    /** An event from the hub: taken only once live (a replay reads the events before). */
    void offerLive(EventFrames frames) {
        synchronized (this) {
            if (state != State.LIVE) {
                return;
            }
            consider(frames);
        }
    }

    /**
     * An event read by this session's replay. A replay waits while the queue is full (at most
     * {@code REPLAY_WAIT_SECONDS}, then the client is a slow consumer): it has its own thread.
     */
    void offerReplayed(EventFrames frames) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REPLAY_WAIT_SECONDS);
        while (inFlight.get() >= capacity && System.nanoTime() < deadline && state() == State.REPLAYING) {
            Thread.sleep(5);
        }
        synchronized (this) {
            if (state != State.REPLAYING) {
                return;
            }
            consider(frames);
        }
    }

    /**
     * Tells a subscribed client its cursor: every event up to it was sent or filtered out. A live
     * session is offered only the events its filter may match, so {@code considered} stands still
     * while the others pass; {@code offered} (the hub's {@link Hub#offeredId}, read before) covers
     * them, and the cursor of a narrow filter moves on while nothing matches. Every frame of an
     * event up to {@code offered} is queued already, so the heartbeat follows them.
     */
    void heartbeat(long offered) {
        synchronized (this) {
            if (state != State.REPLAYING && state != State.LIVE) {
                return;
            }
            long last = state == State.LIVE ? Math.max(considered, offered) : considered;
            enqueue(WsDatabase.JSON.createObjectNode().put("type", "heartbeat").put("last_event_id", last).toString());
        }
    }

    /** Sends an error frame; the session stays open. */
    void error(String code, String message) {
        synchronized (this) {
            enqueue(WsDatabase.JSON.createObjectNode().put("type", "error").put("code", code).put("message", message).toString());
        }
    }

    /** Closes the session with a code of {@link CloseCodes}; the client has a prefix of its frames, in order. */
    void close(int code, String reason) {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
        }
        LOG.fine(() -> "closing the WebSocket session of " + who() + " with " + code + ": " + reason);
        socket.close(code, reason, Callback.NOOP);
    }

    /** The client went away. */
    void closed() {
        synchronized (this) {
            state = State.CLOSED;
        }
        ended.complete(null);
    }

    /** Completes when the connection has ended: the client answered the close, or the connection failed. */
    CompletableFuture<Void> ended() {
        return ended;
    }

    private void consider(EventFrames frames) {
        Event e = frames.event();
        if (e.id() <= considered) {
            return;
        }
        considered = e.id();
        if (filter.matches(e)) {
            String text = frames.text(viewer);
            if (text != null) {
                enqueue(text);
            }
        }
    }

    private void enqueue(String text) {
        if (state == State.CLOSED) {
            return;
        }
        if (inFlight.get() >= capacity) {
            state = State.CLOSED;
            String reason = "slow consumer: more than " + capacity + " frames behind; resume with since = the last id you processed";
            LOG.info(() -> "closing the WebSocket session of " + who() + " with 4008 at event " + considered
                    + ": its client reads too slowly (" + pending.size() + " frames not yet handed to the socket writer; the queue holds"
                    + " ws-queue = " + capacity + " frames)");
            socket.close(CloseCodes.SLOW_CONSUMER, reason, Callback.NOOP);
            return;
        }
        inFlight.incrementAndGet();
        pending.add(new Outgoing(text, timings.now()));
        if (draining.compareAndSet(false, true)) {
            writers.execute(this::drain);
        }
    }

    /**
     * Hands the queued frames to Jetty, in order; runs on the writers pool, once per session at a
     * time. Frames that are queued together go out in one socket write: all but the last are
     * batched by Jetty's frame flusher, and the last (not batched) flushes them.
     */
    private void drain() {
        do {
            Outgoing out = pending.poll();
            while (out != null) {
                Outgoing next = pending.poll();
                send(out, next != null);
                out = next;
            }
            draining.set(false);
        } while (!pending.isEmpty() && draining.compareAndSet(false, true));
    }

    private void send(Outgoing out, boolean more) {
        Callback done = write;
        if (timings.on()) {
            timings.record(DeliveryTimings.Stage.QUEUED, out.queued());
            done = new TimedWrite(timings.now());
        }
        if (socket instanceof WebSocketSession jetty) {
            Callback callback = done;
            jetty.getCoreSession().sendFrame(new Frame(OpCode.TEXT, out.text()),
                    org.eclipse.jetty.util.Callback.from(callback::succeed, callback::fail), more);
        } else {
            socket.sendText(out.text(), done);
        }
    }

    /** A write that records how long the socket's writer took (timings on). */
    private final class TimedWrite implements Callback {
        private final long handed;

        TimedWrite(long handed) {
            this.handed = handed;
        }

        @Override
        public void succeed() {
            timings.record(DeliveryTimings.Stage.WRITTEN, handed);
            write.succeed();
        }

        @Override
        public void fail(Throwable x) {
            write.fail(x);
        }
    }

    /** The callback of one write: the frame has left the queue. */
    private final class Write implements Callback {
        @Override
        public void succeed() {
            inFlight.decrementAndGet();
        }

        @Override
        public void fail(Throwable x) {
            // the connection is gone: Jetty reports it to onError/onClose, which end the session
            LOG.fine(() -> "WebSocket write to " + who() + " failed: " + x);
        }
    }
}
