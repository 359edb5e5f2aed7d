// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Many WebSocket clients in one small process, for {@link WebSocketBench}'s many-subscriber mode:
 * one selector thread and a few kilobytes per connection (the JDK's client costs about a thread's
 * worth of buffers per connection and hands each frame to a pool). It speaks only what the bench
 * needs of RFC 6455 (handshake, masked text frames out, unmasked frames in, close) and reads event
 * frames without parsing JSON: their {@code id} and the writer's {@code t0}.
 * <p>{@code WebSocketSwarm <ws-uri> <clients-file>}: one client per line {@code <token> <target-id>
 * <target-index>}; each subscribes to {@code obs} events of its target. A client whose connection
 * ends reconnects after a pause and subscribes with {@code since} = the last event id it processed
 * (or the last heartbeat's cursor), as docs/websocket.md tells clients to. Prints {@code ready}
 * once every client is subscribed, then reads commands on stdin:
 * <ul>
 * <li>{@code measure <nanoTime>}: latency is taken of frames whose {@code t0} is later;</li>
 * <li>{@code stats}: prints {@code stats <frames measured> <p50 ms> <p99 ms> <max ms> <clients subscribed> <connects>};</li>
 * <li>{@code cursor}: prints {@code cursor <lowest event id every subscribed client has processed or been told of>};</li>
 * <li>{@code check <file>}: the file has one line per target index, {@code <index> <event id>...}: every obs
 * event of that target; prints {@code check <clients> <missing> <duplicated> <out of order> <unexpected>},
 * comparing what each client received after the {@code since} of its first subscription with what it was due;</li>
 * <li>{@code quit}.</li>
 * </ul>
 */
public final class WebSocketSwarm {
    private static final byte[] EVENT_PREFIX = "{\"type\":\"event\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] T0 = "\"t0\":".getBytes(StandardCharsets.US_ASCII);
    /** Handshakes in flight at once while connecting: enough to keep the gateway busy, few enough not to time out. */
    private static final int CONNECTING = 200;
    private static final long RECONNECT_PAUSE_NANOS = 300_000_000L;
    private final InetSocketAddress address;
    private final String path;
    private final Selector selector;
    private final List<Client> clients = new ArrayList<>();
    private final Queue<Client> waiting = new ArrayDeque<>();
    private final Queue<String> commands = new ConcurrentLinkedQueue<>();
    private final Percentiles latency = new Percentiles();
    private long measureFrom = Long.MAX_VALUE;
    private int inFlight;
    private int subscribed;
    private long connects;

    private WebSocketSwarm(URI uri) throws IOException {
        this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
        this.path = uri.getRawPath();
        this.selector = Selector.open();
    }

    public static void main(String[] args) throws Exception {
        WebSocketSwarm swarm = new WebSocketSwarm(URI.create(args[0]));
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            String[] f = line.split(" ");
            swarm.clients.add(swarm.new Client(f[0], f[1], Integer.parseInt(f[2])));
        }
        swarm.waiting.addAll(swarm.clients);
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    swarm.commands.add(l);
                    swarm.selector.wakeup();
                }
            } catch (IOException e) {
                swarm.commands.add("quit");
            }
            swarm.commands.add("quit");
            swarm.selector.wakeup();
        }, "swarm-commands");
        stdin.setDaemon(true);
        stdin.start();
        swarm.run();
    }

    private void run() throws IOException {
        boolean ready = false;
        List<Client> reconnecting = new ArrayList<>();
        while (true) {
            while (inFlight < CONNECTING && !waiting.isEmpty()) {
                waiting.poll().connect();
            }
            selector.select(50);
            for (SelectionKey key : selector.selectedKeys()) {
                ((Client) key.attachment()).ready(key);
            }
            selector.selectedKeys().clear();
            long now = System.nanoTime();
            for (Client c : clients) {
                if (c.reconnectAt != 0 && now >= c.reconnectAt) {
                    c.reconnectAt = 0;
                    reconnecting.add(c);
                }
            }
            waiting.addAll(reconnecting);
            reconnecting.clear();
            if (!ready && subscribed == clients.size()) {
                ready = true;
                System.out.println("ready");
                System.out.flush();
            }
            for (String cmd = commands.poll(); cmd != null; cmd = commands.poll()) {
                if (!command(cmd)) {
                    return;
                }
            }
        }
    }

    private boolean command(String cmd) throws IOException {
        String[] w = cmd.split(" ");
        switch (w[0]) {
            case "measure" -> measureFrom = Long.parseLong(w[1]);
            case "stats" -> System.out.printf("stats %d %.3f %.3f %.3f %d %d%n", latency.count(), latency.millis(50),
                    latency.millis(99), latency.millis(100), subscribed, connects);
            case "cursor" -> System.out.println("cursor " + clients.stream().mapToLong(c -> c.cursor).min().orElse(0));
            case "check" -> System.out.println(check(Path.of(w[1])));
            case "quit" -> {
                return false;
            }
            default -> System.out.println("error unknown command " + cmd);
        }
        System.out.flush();
        return true;
    }

    /** Compares each client's ids with the events of its target after its first since. */
    private String check(Path due) throws IOException {
        Map<Integer, long[]> byTarget = new HashMap<>();
        for (String line : Files.readAllLines(due)) {
            String[] f = line.trim().split(" ");
            byTarget.put(Integer.parseInt(f[0]), Arrays.stream(f).skip(1).mapToLong(Long::parseLong).toArray());
        }
        long missing = 0;
        long duplicated = 0;
        long disordered = 0;
        long unexpected = 0;
        for (Client c : clients) {
            long[] got = Arrays.copyOf(c.ids, c.idCount);
            for (int i = 1; i < got.length; i++) {
                if (got[i] == got[i - 1]) {
                    duplicated++;
                } else if (got[i] < got[i - 1]) {
                    disordered++;
                }
            }
            long[] sorted = Arrays.stream(got).distinct().sorted().toArray();
            long[] all = byTarget.getOrDefault(c.targetIndex, new long[0]);
            long last = sorted.length == 0 ? c.firstSince : Math.max(c.firstSince, sorted[sorted.length - 1]);
            // due: the target's events after the first since, up to the last the client processed or was told of
            long upTo = Math.max(last, c.cursor);
            long[] expected = Arrays.stream(all).filter(id -> id > c.firstSince && id <= upTo).toArray();
            int i = 0;
            int j = 0;
            while (i < expected.length || j < sorted.length) {
                if (j == sorted.length || (i < expected.length && expected[i] < sorted[j])) {
                    missing++;
                    i++;
                } else if (i == expected.length || sorted[j] < expected[i]) {
                    unexpected++;
                    j++;
                } else {
                    i++;
                    j++;
                }
            }
        }
        return String.format("check %d %d %d %d %d", clients.size(), missing, duplicated, disordered, unexpected);
    }

    /** One connection and what it received. */
    private final class Client {
        private final String token;
        private final String target;
        private final int targetIndex;
        private SocketChannel channel;
        private ByteBuffer in = ByteBuffer.allocate(2048);
        private boolean open;
        /** Subscribed on the current connection. */
        private boolean everSubscribed;
        private boolean counted;
        private long firstSince = -1;
        /** The last event id processed, or a heartbeat's cursor if later: where a resume starts. */
        private long cursor = -1;
        private long[] ids = new long[64];
        private int idCount;
        private long reconnectAt;

        Client(String token, String target, int targetIndex) {
            this.token = token;
            this.target = target;
            this.targetIndex = targetIndex;
        }

        void connect() throws IOException {
            inFlight++;
            connects++;
            open = false;
            in.clear();
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.connect(address);
            channel.register(selector, SelectionKey.OP_CONNECT, this);
        }

        void ready(SelectionKey key) {
            try {
                if (key.isConnectable()) {
                    channel.finishConnect();
                    String key64 = Base64.getEncoder().encodeToString(randomBytes(16));
                    write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
                            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key64
                            + "\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + token + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII)));
                    key.interestOps(SelectionKey.OP_READ);
                    return;
                }
                if (channel.read(in) < 0) {
                    lost(key);
                    return;
                }
                in.flip();
                if (!open && !handshake()) {
                    in.compact();
                    return;
                }
                frames();
                in.compact();
                if (!in.hasRemaining()) {
                    in = ByteBuffer.allocate(in.capacity() * 2).put(in.flip());
                }
            } catch (IOException e) {
                lost(key);
            }
        }

        /** Reads the HTTP answer to the upgrade; true once it is complete (and was 101). */
        private boolean handshake() throws IOException {
            for (int i = in.position(); i + 3 < in.limit(); i++) {
                if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
                    String head = StandardCharsets.US_ASCII.decode(in.slice(in.position(), i - in.position())).toString();
                    if (!head.startsWith("HTTP/1.1 101")) {
                        throw new IOException("upgrade refused: " + head.lines().findFirst().orElse(""));
                    }
                    in.position(i + 4);
                    open = true;
                    String since = cursor >= 0 ? ", \"since\": " + cursor : "";
                    send("{\"type\": \"subscribe\", \"events\": [\"obs\"], \"targets\": [\"" + target + "\"]" + since + "}");
                    return true;
                }
            }
            return false;
        }

        private void frames() throws IOException {
            while (in.remaining() >= 2) {
                int start = in.position();
                int b0 = in.get(start) & 0xff;
                int len = in.get(start + 1) & 0x7f;
                int header = 2;
                if (len == 126) {
                    if (in.remaining() < 4) {
                        return;
                    }
                    len = ((in.get(start + 2) & 0xff) << 8) | (in.get(start + 3) & 0xff);
                    header = 4;
                } else if (len == 127) {
                    if (in.remaining() < 10) {
                        return;
                    }
                    len = (int) in.getLong(start + 2);
                    header = 10;
                }
                if (in.remaining() < header + len) {
                    if (header + len > in.capacity()) {
                        ByteBuffer bigger = ByteBuffer.allocate(header + len + 1024);
                        bigger.put(in);
                        in = bigger;
                        in.flip();
                    }
                    return;
                }
                int opcode = b0 & 0x0f;
                int body = start + header;
                if (opcode == 1) {
                    text(body, len);
                } else if (opcode == 8) {
                    throw new IOException("closed by the gateway");
                }
                in.position(body + len);
            }
        }

        private void text(int at, int len) {
            if (startsWith(at, len, EVENT_PREFIX)) {
                long id = number(at + EVENT_PREFIX.length, at + len);
                if (idCount == ids.length) {
                    ids = Arrays.copyOf(ids, idCount * 2);
                }
                ids[idCount++] = id;
                cursor = Math.max(cursor, id);
                int t0 = indexOf(at, at + len, T0);
                if (t0 >= 0) {
                    int digits = t0 + T0.length;
                    // the payload is the database's JSON text: "t0": 123, with a space
                    while (digits < at + len && in.get(digits) == ' ') {
                        digits++;
                    }
                    long sent = number(digits, at + len);
                    if (sent > measureFrom) {
                        latency.add(System.nanoTime() - sent);
                    }
                }
                return;
            }
            String frame = StandardCharsets.UTF_8.decode(in.slice(at, len)).toString();
            if (frame.contains("\"type\":\"subscribed\"")) {
                long since = Long.parseLong(frame.replaceAll(".*\"since\":(\\d+).*", "$1"));
                if (firstSince < 0) {
                    firstSince = since;
                }
                cursor = Math.max(cursor, since);
                everSubscribed = true;
                inFlight--;
                if (!counted) {
                    counted = true;
                    subscribed++;
                }
            } else if (frame.contains("\"type\":\"heartbeat\"")) {
                cursor = Math.max(cursor, Long.parseLong(frame.replaceAll(".*\"last_event_id\":(\\d+).*", "$1")));
            } else if (frame.contains("\"type\":\"error\"")) {
                System.err.println("swarm: error frame " + frame);
            }
        }

        /** The connection ended: reconnect after a pause, resuming from the cursor. */
        private void lost(SelectionKey key) {
            key.cancel();
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a connection that failed already
            }
            if (!everSubscribed) {
                // a handshake or subscription that did not finish gives back its place in flight
                inFlight--;
            }
            if (counted) {
                counted = false;
                subscribed--;
            }
            everSubscribed = false;
            open = false;
            reconnectAt = System.nanoTime() + RECONNECT_PAUSE_NANOS + ThreadLocalRandom.current().nextLong(RECONNECT_PAUSE_NANOS);
        }

        private void send(String text) throws IOException {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            byte[] mask = randomBytes(4);
            int header = payload.length < 126 ? 2 : 4;
            ByteBuffer frame = ByteBuffer.allocate(header + 4 + payload.length);
            frame.put((byte) 0x81);
            if (payload.length < 126) {
                frame.put((byte) (0x80 | payload.length));
            } else {
                frame.put((byte) (0x80 | 126)).putShort((short) payload.length);
            }
            frame.put(mask);
            for (int i = 0; i < payload.length; i++) {
                frame.put((byte) (payload[i] ^ mask[i & 3]));
            }
            write(frame.flip());
        }

        private void write(ByteBuffer b) throws IOException {
            // a few hundred bytes on an idle connection: the socket takes them at once
            while (b.hasRemaining()) {
                if (channel.write(b) == 0) {
                    Thread.onSpinWait();
                }
            }
        }

        private boolean startsWith(int at, int len, byte[] prefix) {
            if (len < prefix.length) {
                return false;
            }
            for (int i = 0; i < prefix.length; i++) {
                if (in.get(at + i) != prefix[i]) {
                    return false;
                }
            }
            return true;
        }

        private int indexOf(int from, int to, byte[] what) {
            outer:
            for (int i = from; i + what.length <= to; i++) {
                for (int k = 0; k < what.length; k++) {
                    if (in.get(i + k) != what[k]) {
                        continue outer;
                    }
                }
                return i;
            }
            return -1;
        }

        private long number(int from, int to) {
            long n = 0;
            for (int i = from; i < to && in.get(i) >= '0' && in.get(i) <= '9'; i++) {
                n = n * 10 + (in.get(i) - '0');
            }
            return n;
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
