// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.files.Copied;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.Sha256;
import io.tmidb.files.StoreConfig;
import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.testkit.S3Server;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code bench/run FilesBench [files] [MiB] [clients]}: {@code files} files of {@code MiB} each
 * (default 100 of 10 MiB: 1 GiB) uploaded to the embedded object store (S3Proxy, as tmidbd runs it)
 * by {@code clients} clients at once (default 4), four ways in one run: two baselines that put the
 * objects straight into the store, with the AWS SDK's {@code PutObject} and with {@code java.net.http}
 * to URLs the SDK presigned (no tmiDB in the way), then presigned uploads through {@code POST /files}
 * (describe, PUT to the store, complete: verified and attached) and bodies streamed through the
 * gateway ({@code POST /files/stream}, which copies them on to the store as they arrive), taking turns in
 * {@value #ROUNDS} rounds, each with its share of the files, after every way warmed up alike
 * ({@value #WARM_UP} small uploads, then a round's share of full ones): the gateway and the store are
 * JVMs whose code the JIT compiles over thousands of requests, and a node's have been up a while.
 * Prints MB/s of each, its ratio to both baselines, the mean time of one file (clients times wall
 * time over files), the CPU one file cost this JVM (the gateway and the clients), the store and
 * PostgreSQL (from {@code /proc}: on a shared machine it swings far less than the wall time) with the
 * share of direct PUTs it allows where the cores are the limit (their CPU per file over the way's), and
 * the largest heap left in use after a garbage collection during each way (this JVM's, whose
 * clients' payloads take {@value #PAYLOADS} times the file size).
 * For the presigned way it also prints the mean time of each of its three requests and how the
 * gateway verified the SHA-256 at completion (the store's checksum, or by reading the object back).
 */
public final class FilesBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Distinct payloads the files cycle through (memory: this many times the file size). */
    private static final int PAYLOADS = 4;
    /** Rounds in which the ways take turns. */
    private static final int ROUNDS = 5;
    /**
     * Uploads of every way before the measured ones, of {@value #WARM_UP_BYTES} bytes each (then a
     * round's share of files of the measured size, in turns).
     */
    private static final int WARM_UP = 2000;
    private static final int WARM_UP_BYTES = 64 << 10;
    /** The warm-up's files are numbered from here, apart from the measured ones. */
    private static final int WARM_UP_FIRST = 1_000_000;

    private FilesBench() {
    }

    private interface Upload {
        /** Uploads {@code payload}, whose SHA-256 is {@code sha256}, as the {@code i}th file of its way. */
        void run(int i, byte[] payload, String sha256) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        byte[][] payloads = new byte[PAYLOADS][];
        String[] hashes = new String[PAYLOADS];
        Random random = new Random(42);
        for (int i = 0; i < PAYLOADS; i++) {
            payloads[i] = new byte[mib << 20];
            random.nextBytes(payloads[i]);
            hashes[i] = Sha256.hex(Sha256.digest().digest(payloads[i]));
        }
        Path scratchFile = Files.createTempFile("tmidb-filesbench", ".bin");
        try (ScratchCluster scratch = ScratchCluster.start(); S3Server s3 = S3Server.startNew()) {
            TestDatabase db = scratch.createDatabase("filesbench", false);
            String target;
            byte[] secret;
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                target = Sql.scalar(c, "SELECT tmi.add_target('Camera', 'camera', '{}', 'CAM1')");
                try (ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
                    rs.next();
                    secret = rs.getBytes(1);
                }
            }
            String speaker = "Bearer " + JWT.create().withClaim("role", "tmi_speaker").sign(Algorithm.HMAC256(secret));
            GatewaySettings settings = GatewaySettings.of(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                    "db-user", "postgres", "db-password", db.cluster().superuserPassword(), "s3-endpoint", s3.endpoint(),
                    "s3-access-key", s3.accessKey(), "s3-secret-key", s3.secretKey()));
            StoreConfig config = new StoreConfig(URI.create(s3.endpoint()), "us-east-1", "tmidb", s3.accessKey(), s3.secretKey(), true);
            HttpClient http = HttpClient.newBuilder().build();
            System.out.printf("FilesBench: %d files of %d MiB, %d clients, %d CPUs, load %s%n", files, mib, clients,
                    Runtime.getRuntime().availableProcessors(), Machine.loadAverage());
            try (Gateway gateway = Gateway.start(settings); ObjectStore store = new ObjectStore(config)) {
                store.ensureBucket();
                String base = "http://127.0.0.1:" + gateway.port();
                Upload direct = (i, payload, sha256) -> store.put("bench/direct/" + i, "application/octet-stream", payload);
                Upload httpDirect = (i, payload, sha256) -> {
                    io.tmidb.files.Presigned put = store.presignPut("bench/http/" + i, "application/octet-stream",
                            payload.length, sha256, java.time.Duration.ofMinutes(5));
                    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(put.url())).PUT(body(payload));
                    put.headers().forEach((k, v) -> {
                        if (!k.equalsIgnoreCase("content-length")) {
                            b.header(k, v);
                        }
                    });
                    ok(http.send(b.build(), HttpResponse.BodyHandlers.ofString()), 200);
                };
                // the presigned way's requests (describe, PUT, complete): nanoseconds summed over its uploads
                AtomicLongArray steps = new AtomicLongArray(3);
                Map<String, Integer> verifiedBy = new ConcurrentHashMap<>();
                Upload presigned = (i, payload, sha256) -> {
                    long t0 = System.nanoTime();
                    String describe = "{\"target_id\":\"" + target + "\",\"name\":\"p" + i + ".bin\",\"content_type\":"
                            + "\"application/octet-stream\",\"size\":" + payload.length + ",\"sha256\":\"" + sha256 + "\"}";
                    JsonNode up = JSON.readTree(ok(http.send(HttpRequest.newBuilder(URI.create(base + "/files"))
                            .header("Authorization", speaker).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(describe)).build(), HttpResponse.BodyHandlers.ofString()), 201));
                    long t1 = System.nanoTime();
                    HttpRequest.Builder put = HttpRequest.newBuilder(URI.create(up.get("url").asText()))
                            .PUT(body(payload));
                    up.get("headers").fields().forEachRemaining(h -> {
                        if (!h.getKey().equalsIgnoreCase("content-length")) {
                            put.header(h.getKey(), h.getValue().asText());
                        }
                    });
                    ok(http.send(put.build(), HttpResponse.BodyHandlers.ofString()), 200);
                    long t2 = System.nanoTime();
                    JsonNode file = JSON.readTree(ok(http.send(HttpRequest.newBuilder(URI.create(base + up.get("complete").asText()))
                            .header("Authorization", speaker).POST(HttpRequest.BodyPublishers.noBody()).build(),
                            HttpResponse.BodyHandlers.ofString()), 201));
                    steps.addAndGet(0, t1 - t0);
                    steps.addAndGet(1, t2 - t1);
                    steps.addAndGet(2, System.nanoTime() - t2);
                    verifiedBy.merge(file.path("sha256_verified_by").asText(), 1, Integer::sum);
                };
                Upload streamed = (i, payload, sha256) ->
                    ok(http.send(HttpRequest.newBuilder(URI.create(base + "/files/stream?target_id=" + target + "&name=s" + i
                                    + ".bin&sha256=" + sha256)).header("Authorization", speaker)
                            .header("Content-Type", "application/octet-stream")
                            .POST(body(payload)).build(), HttpResponse.BodyHandlers.ofString()), 201);
                // every way warmed up alike, so that the JIT has compiled the gateway's and the store's code as
                // in a node that has been up a while (what is left to compile then falls on every way alike)
                byte[][] small = new byte[PAYLOADS][];
                String[] smallHashes = new String[PAYLOADS];
                for (int i = 0; i < PAYLOADS; i++) {
                    small[i] = java.util.Arrays.copyOf(payloads[i], WARM_UP_BYTES);
                    smallHashes[i] = Sha256.hex(Sha256.digest().digest(small[i]));
                }
                List<Upload> ways = List.of(direct, httpDirect, presigned, streamed);
                for (Upload u : ways) {
                    measure(WARM_UP_FIRST, WARM_UP_FIRST + WARM_UP, clients, u, small, smallHashes, new long[1]);
                }
                for (Upload u : ways) {
                    measure(WARM_UP_FIRST + WARM_UP, WARM_UP_FIRST + WARM_UP + files / ROUNDS, clients, u, payloads, hashes, new long[1]);
                }
                for (int k = 0; k < steps.length(); k++) {
                    steps.set(k, 0);
                }
                verifiedBy.clear();
                List<String> names = List.of("direct PutObject (AWS SDK)", "direct PUT (java.net.http, presigned URL)",
                        "presigned (POST /files, PUT, complete)", "streamed (POST /files/stream)");
                // CPU of this JVM (the gateway and the clients), of the store and of PostgreSQL
                List<ProcessCpu> processes = List.of(ProcessCpu.of(ProcessHandle.current().pid()), ProcessCpu.of(s3.process().pid()),
                        ProcessCpu.postgres(db.cluster().dataDir()));
                // the ways take turns, a share of the files each per round, so that the shared machine's
                // load, which changes by the minute, weighs on every way alike
                double[] seconds = new double[ways.size()];
                long[] peak = new long[ways.size()];
                long[][] cpu = new long[ways.size()][processes.size()];
                for (int r = 0; r < ROUNDS; r++) {
                    for (int w = 0; w < ways.size(); w++) {
                        long[] heap = new long[1];
                        long[] before = processes.stream().mapToLong(ProcessCpu::nanos).toArray();
                        seconds[w] += measure(files * r / ROUNDS, files * (r + 1) / ROUNDS, clients, ways.get(w), payloads, hashes, heap);
                        for (int k = 0; k < processes.size(); k++) {
                            cpu[w][k] += processes.get(k).nanos() - before[k];
                        }
                        peak[w] = Math.max(peak[w], heap[0]);
                    }
                }
                double[] mbps = new double[ways.size()];
                for (int w = 0; w < ways.size(); w++) {
                    mbps[w] = (double) files * mib * (1 << 20) / 1e6 / seconds[w];
                }
                // the share of direct PUTs a way reaches where the cores are the limit: their CPU per file over its own
                System.out.printf("%-44s %8s %9s %9s %9s  %-36s %10s  %s%n", "way", "MB/s", "vs SDK", "vs HTTP", "ms/file",
                        "CPU ms/file: all (JVM/store/PG)", "CPU vs HTTP", "live heap after GC, peak");
                long httpCpu = java.util.Arrays.stream(cpu[1]).sum();
                for (int w = 0; w < ways.size(); w++) {
                    long all = java.util.Arrays.stream(cpu[w]).sum();
                    System.out.printf("%-44s %8.1f %8.0f%% %8.0f%% %9.1f  %-36s %9.0f%%  %d MiB%n", names.get(w), mbps[w],
                            100 * mbps[w] / mbps[0], 100 * mbps[w] / mbps[1], seconds[w] * clients * 1e3 / files,
                            String.format("%.1f (%.1f / %.1f / %.1f)", all / 1e6 / files, cpu[w][0] / 1e6 / files,
                                    cpu[w][1] / 1e6 / files, cpu[w][2] / 1e6 / files), 100.0 * httpCpu / all, peak[w] >> 20);
                }
                System.out.printf("presigned, mean per file: POST /files %.1f ms, PUT %.1f ms, complete %.1f ms;"
                                + " SHA-256 verified by %s%n", steps.get(0) / 1e6 / files, steps.get(1) / 1e6 / files,
                        steps.get(2) / 1e6 / files, new TreeMap<>(verifiedBy));
                System.out.printf("load at the end %s%n", Machine.loadAverage());
                Copied check = store.download("bench/direct/0", scratchFile);
                if (!check.sha256().equals(hashes[0])) {
                    throw new IllegalStateException("the store returned other bytes than were put");
                }
            }
        } finally {
            Files.deleteIfExists(scratchFile);
        }
    }

    /**
     * Runs uploads {@code from} (inclusive) to {@code to} on {@code clients} threads, the {@code i}th
     * with payload {@code i} modulo their number; answers the seconds
     * they took and puts the peak live heap into {@code heap[0]}.
     */
    private static double measure(int from, int to, int clients, Upload upload, byte[][] payloads, String[] hashes, long[] heap)
            throws Exception {
        System.gc();
        AtomicLong peak = new AtomicLong();
        List<java.lang.management.MemoryPoolMXBean> pools = java.lang.management.ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == java.lang.management.MemoryType.HEAP && p.getCollectionUsage() != null).toList();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                // what the last collection of each pool left: the live set, not the garbage between collections
                peak.accumulateAndGet(pools.stream().mapToLong(p -> p.getCollectionUsage().getUsed()).sum(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        AtomicInteger next = new AtomicInteger(from);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            Instant start = Instant.now();
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                running.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < to; ) {
                        upload.run(i, payloads[i % payloads.length], hashes[i % payloads.length]);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
            heap[0] = peak.get();
            return java.time.Duration.between(start, Instant.now()).toNanos() / 1e9;
        } finally {
            // a failed upload ends the run: no client left uploading, no sampler left running
            pool.shutdownNow();
            sampler.interrupt();
        }
    }

    /**
     * The payload as a request body read where it is, as a client streams a file: {@code ofByteArray}
     * would copy all of it into buffers before sending, which the heap column would count.
     */
    private static HttpRequest.BodyPublisher body(byte[] payload) {
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(payload)),
                payload.length);
    }

    private static String ok(HttpResponse<String> r, int status) {
        if (r.statusCode() != status) {
            throw new IllegalStateException("expected " + status + ", got " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
