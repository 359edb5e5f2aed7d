// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client (the JDK's) for tests: frames arrive as JSON in a queue; {@link #pause}
 * stops reading from the socket altogether (no demand), as a slow consumer does, and
 * {@link #resume} reads again.
 */
final class WsClient implements WebSocket.Listener, AutoCloseable {
    private final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;
    private boolean paused;
    private boolean owed;

    /** Connects to {@code path} of the gateway, with headers given as name, value, ... */
    static WsClient connect(GatewayFixture gw, String path, String... headers) {
        WsClient client = new WsClient();
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        client.socket = b.buildAsync(URI.create("ws://127.0.0.1:" + gw.gateway.port() + path), client).orTimeout(10, TimeUnit.SECONDS).join();
        return client;
    }

    void send(String json) {
        socket.sendText(json, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Sends a binary frame (the protocol has none: the server answers with an error frame). */
    void sendBinary(byte[] data) {
        socket.sendBinary(java.nio.ByteBuffer.wrap(data), true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The next frame, failing after {@code seconds}. */
    JsonNode next(int seconds) throws InterruptedException {
        JsonNode f = frames.poll(seconds, TimeUnit.SECONDS);
        if (f == null) {
            throw new AssertionError("no frame within " + seconds + " s" + (closeCode.isDone() ? "; closed with " + closeCode.join() : ""));
        }
        return f;
    }

    /** The next frame of this type, skipping heartbeats (and nothing else). */
    JsonNode expect(String type, int seconds) throws InterruptedException {
        JsonNode f = next(seconds);
        while (f.path("type").asText().equals("heartbeat") && !type.equals("heartbeat")) {
            f = next(seconds);
        }
        if (!f.path("type").asText().equals(type)) {
            throw new AssertionError("expected a " + type + " frame, got " + f);
        }
        return f;
    }

    /** Sends a subscribe message (after ready) and returns the cursor the stream starts after. */
    long subscribe(String json) throws InterruptedException {
        send(json);
        return expect("subscribed", 10).path("since").asLong();
    }

    /** Every event frame up to the one with id {@code last} (or a heartbeat past it), within 60 s. */
    List<JsonNode> eventsThrough(long last) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            JsonNode f = next(60);
            if (f.path("type").asText().equals("event")) {
                out.add(f);
                if (f.path("id").asLong() >= last) {
                    return out;
                }
            } else if (f.path("type").asText().equals("heartbeat") && f.path("last_event_id").asLong() >= last) {
                return out;
            }
        }
        throw new AssertionError("events up to " + last + " did not arrive in 60 s; got " + out.size());
    }

    /** The ids of event frames, in the order given. */
    static List<Long> ids(List<JsonNode> events) {
        return events.stream().map(e -> e.path("id").asLong()).toList();
    }

    /** Frames already received, without waiting. */
    JsonNode poll() {
        return frames.poll();
    }

    /** The close code the server sent, waiting at most {@code seconds}. */
    int closeCode(int seconds) {
        return closeCode.orTimeout(seconds, TimeUnit.SECONDS).join();
    }

    boolean isClosed() {
        return closeCode.isDone();
    }

    synchronized void pause() {
        paused = true;
    }

    void resume() {
        boolean request;
        synchronized (this) {
            paused = false;
            request = owed;
            owed = false;
        }
        if (request) {
            socket.request(1);
        }
    }

    /** Drops the connection without a close handshake, as a network failure would. */
    void abort() {
        socket.abort();
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            frames.add(Json.parse(partial.toString()));
            partial.setLength(0);
        }
        synchronized (this) {
            if (paused) {
                owed = true;
                return null;
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeCode.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closeCode.complete(1006);
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        socket.abort();
    }
}
