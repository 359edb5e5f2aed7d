// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The WebSocket clients of {@link WebSocketBench}, in a process of their own as clients would be.
 * {@code WebSocketClients <ws-uri> <tokens-file>}: one client per token (the JDK's
 * {@code java.net.http.WebSocket}, token in the {@code Authorization} header), each subscribing to
 * {@code obs} events; prints {@code ready} once all are subscribed. Then reads commands on stdin:
 * {@code measure <nanoTime>} counts frames whose {@code t0} is later; {@code stop} prints
 * {@code result <deliveries> <p50 ms> <p99 ms> <max ms> <disordered>} and exits. Event frames carry
 * the writer's {@code System.nanoTime()} as {@code t0}, comparable across processes on one machine.
 */
public final class WebSocketClients {
    private static final String EVENT_PREFIX = "{\"type\":\"event\",\"id\":";

    private WebSocketClients() {
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        List<String> tokens = Files.readAllLines(Path.of(args[1]));
        Percentiles latency = new Percentiles();
        AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
        AtomicLong disordered = new AtomicLong();
        // frames are handled on the client's selector thread: a hand-off per frame would cost more than the handling
        HttpClient http = HttpClient.newBuilder().executor(Runnable::run).build();
        List<WebSocket> sockets = new ArrayList<>();
        for (String token : tokens) {
            WebSocket ws = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(uri, new Receiver(measureFrom, latency, disordered)).get(10, TimeUnit.SECONDS);
            ws.sendText("{\"type\": \"subscribe\", \"events\": [\"obs\"]}", true).get(10, TimeUnit.SECONDS);
            sockets.add(ws);
        }
        System.out.println("ready");
        System.out.flush();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            if (line.startsWith("measure ")) {
                measureFrom.set(Long.parseLong(line.substring("measure ".length())));
            } else if (line.equals("stop")) {
                break;
            }
        }
        System.out.printf("result %d %.3f %.3f %.3f %d%n", latency.count(), latency.millis(50), latency.millis(99),
                latency.millis(100), disordered.get());
        System.out.flush();
        for (WebSocket ws : sockets) {
            ws.abort();
        }
    }

    /** The decimal digits of {@code text} from {@code at}: frames are parsed by hand to keep the clients cheap. */
    private static long number(String text, int at) {
        long n = 0;
        for (int i = at; i < text.length() && Character.isDigit(text.charAt(i)); i++) {
            n = n * 10 + (text.charAt(i) - '0');
        }
        return n;
    }

    /** Takes the time of each event frame on receipt and checks that ids only grow. */
    private static final class Receiver implements WebSocket.Listener {
        private final AtomicLong measureFrom;
        private final Percentiles latency;
        private final AtomicLong disordered;
        private final StringBuilder partial = new StringBuilder();
        private long lastId;

        Receiver(AtomicLong measureFrom, Percentiles latency, AtomicLong disordered) {
            this.measureFrom = measureFrom;
            this.latency = latency;
            this.disordered = disordered;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                long now = System.nanoTime();
                String text = partial.toString();
                if (text.startsWith(EVENT_PREFIX)) {
                    long n = number(text, EVENT_PREFIX.length());
                    if (n <= lastId) {
                        disordered.incrementAndGet();
                    }
                    lastId = n;
                    int t0 = text.indexOf("\"t0\":");
                    // the payload is the database's JSON text: "t0": 123, with a space
                    int digits = t0 + 5 + (t0 >= 0 && text.charAt(t0 + 5) == ' ' ? 1 : 0);
                    if (t0 >= 0 && number(text, digits) > measureFrom.get()) {
                        latency.add(now - number(text, digits));
                    }
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
