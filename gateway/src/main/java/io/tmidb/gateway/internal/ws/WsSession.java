// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * One client of {@code /tmi/ws}: what it may see, what it asked for, and its outgoing frames. Frames
 * wait in a queue of at most {@code capacity}; one is written at a time, asynchronously, so that
 * whoever enqueues (the hub, a replay) never waits for this client's socket. A client whose queue
 * is full is closed with {@link CloseCodes#SLOW_CONSUMER}: it has every event up to the last one it
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
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private State state = State.CONNECTED;
    private boolean sending;
    private long considered;
    private String listener;
    private volatile ListenerScope scope;
    private ClientFilter filter;

    WsSession(Session socket, int capacity) {
        this.socket = socket;
        this.capacity = capacity;
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

    synchronized long considered() {
        return considered;
    }

    void scope(ListenerScope scope) {
        this.scope = scope;
    }

    /** Authenticated: the session may subscribe. */
    void ready(String role, String listener, ListenerScope scope, long lastEventId) {
        synchronized (this) {
            this.listener = listener;
            this.scope = scope;
            state = State.READY;
            ObjectNode frame = WsDatabase.JSON.createObjectNode().put("type", "ready").put("role", role)
                    .put("listener", listener).put("last_event_id", lastEventId);
            enqueue(frame.toString());
        }
        pump();
    }

    /** Starts the subscription after {@code since}, replaying until {@link #goLive} succeeds. */
    void subscribe(ClientFilter filter, long since) {
        synchronized (this) {
            this.filter = filter;
            considered = since;
            state = State.REPLAYING;
            enqueue(WsDatabase.JSON.createObjectNode().put("type", "subscribed").put("since", since).toString());
        }
        pump();
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
        pump();
    }

    /**
     * An event read by this session's replay. A replay waits while the queue is full (at most
     * {@code REPLAY_WAIT_SECONDS}, then the client is a slow consumer): it has its own thread.
     */
    void offerReplayed(EventFrames frames) throws InterruptedException {
        synchronized (this) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(REPLAY_WAIT_SECONDS);
            while (state == State.REPLAYING && queue.size() >= capacity && System.nanoTime() < deadline) {
                TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, deadline - System.nanoTime()));
            }
            if (state != State.REPLAYING) {
                return;
            }
            consider(frames);
        }
        pump();
    }

    void heartbeat(long hubLastId) {
        synchronized (this) {
            if (state == State.CONNECTED || state == State.CLOSED) {
                return;
            }
            long last = state == State.READY ? hubLastId : considered;
            enqueue(WsDatabase.JSON.createObjectNode().put("type", "heartbeat").put("last_event_id", last).toString());
        }
        pump();
    }

    /** Sends an error frame; the session stays open. */
    void error(String code, String message) {
        synchronized (this) {
            enqueue(WsDatabase.JSON.createObjectNode().put("type", "error").put("code", code).put("message", message).toString());
        }
        pump();
    }

    /** Closes the session with a code of {@link CloseCodes}; frames still queued are dropped. */
    void close(int code, String reason) {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            queue.clear();
            notifyAll();
        }
        LOG.fine(() -> "closing the WebSocket session of " + who() + " with " + code + ": " + reason);
        socket.close(code, reason, Callback.NOOP);
    }

    /** The client went away. */
    synchronized void closed() {
        state = State.CLOSED;
        queue.clear();
        notifyAll();
    }

    private void consider(EventFrames frames) {
        Event e = frames.event();
        if (e.id() <= considered) {
            return;
        }
        considered = e.id();
        FieldSet fields = scope.fields(e);
        if (fields != null && filter.matches(e)) {
            enqueue(frames.text(fields.intersect(filter.fields())));
        }
    }

    private void enqueue(String text) {
        if (state == State.CLOSED) {
            return;
        }
        if (queue.size() >= capacity) {
            state = State.CLOSED;
            queue.clear();
            String reason = "slow consumer: more than " + capacity + " frames behind; resume with since = the last id you processed";
            LOG.info(() -> "closing the WebSocket session of " + who() + " with 4008 at event " + considered
                    + ": its client reads too slowly (the queue holds ws-queue = " + capacity + " frames)");
            socket.close(CloseCodes.SLOW_CONSUMER, reason, Callback.NOOP);
            return;
        }
        queue.add(text);
    }

    /**
     * Writes queued frames one at a time. A write that completes at once continues the loop here;
     * one that completes later continues it from its callback, so the stack never grows.
     */
    private void pump() {
        while (true) {
            String text;
            synchronized (this) {
                if (sending || queue.isEmpty() || state == State.CLOSED) {
                    return;
                }
                sending = true;
                text = queue.poll();
            }
            Write write = new Write();
            socket.sendText(text, write);
            if (!write.completedAtOnce()) {
                return;
            }
        }
    }

    private void written() {
        synchronized (this) {
            sending = false;
            notifyAll();
        }
    }

    /** The callback of one write. */
    private final class Write implements Callback {
        private static final int PENDING = 0;
        private static final int DONE = 1;
        private static final int DETACHED = 2;
        private final AtomicInteger phase = new AtomicInteger(PENDING);

        @Override
        public void succeed() {
            written();
            if (!phase.compareAndSet(PENDING, DONE)) {
                pump();
            }
        }

        @Override
        public void fail(Throwable x) {
            LOG.fine(() -> "WebSocket write to " + who() + " failed: " + x);
            closed();
        }

        boolean completedAtOnce() {
            return !phase.compareAndSet(PENDING, DETACHED);
        }
    }
}
