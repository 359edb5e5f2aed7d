// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import io.tmidb.cluster.EmbeddedS3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node's embedded object store (S3Proxy with its filesystem store), started the way tmidbd
 * starts it ({@link EmbeddedS3}) on a free loopback port with a temporary directory, for tests and
 * benchmarks. The class path is {@code tmidb.s3server.lib} (the s3server module's target/lib,
 * which the modules that use this set in failsafe's configuration). {@link #close()} stops it and
 * deletes its objects.
 */
public final class S3Server implements AutoCloseable {
    private static final long READY_TIMEOUT_MS = 60_000;
    private final Path dir;
    private final int port;
    private final EmbeddedS3.Credentials credentials;
    private final Process process;
    /** Whether {@link #close()} deletes {@link #dir} (a temporary one) or only what the store put there. */
    private final boolean ownsDir;

    private S3Server(Path dir, boolean ownsDir, int port, EmbeddedS3.Credentials credentials, Process process) {
        this.dir = dir;
        this.ownsDir = ownsDir;
        this.port = port;
        this.credentials = credentials;
        this.process = process;
    }

    /** Starts a new store in a temporary directory and waits until it answers, at most 60 s. */
    public static S3Server startNew() {
        try {
            return start(Files.createTempDirectory("tmidb-s3-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts a store as a node's: its key pair, configuration and objects in the data directory
     * {@code dir} (where tmictl looks for them); {@link #close()} removes those and nothing else.
     */
    public static S3Server startIn(Path dir) {
        return start(dir, false);
    }

    private static S3Server start(Path dir, boolean ownsDir) {
        try {
            Path lib = EmbeddedS3.lib().orElseThrow(() -> new IOException("the embedded object store is not built: run"
                    + " 'mvn -pl s3server package' (or set tmidb.s3server.lib to its target/lib)"));
            int port = freePort();
            EmbeddedS3.Credentials keys = EmbeddedS3.credentials(dir);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Path log = dir.resolve("s3.log");
            Process p = new ProcessBuilder(EmbeddedS3.command(java, lib, dir.resolve(EmbeddedS3.PROPERTIES_FILE),
                    dir.resolve(EmbeddedS3.STORE_DIR), port, keys)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            S3Server server = new S3Server(dir, ownsDir, port, keys, p);
            try {
                server.awaitReady(log);
            } catch (IOException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String endpoint() {
        return EmbeddedS3.endpoint(port);
    }

    public String accessKey() {
        return credentials.accessKey();
    }

    public String secretKey() {
        return credentials.secretKey();
    }

    /** The directory the filesystem store keeps its buckets in. */
    public Path storeDir() {
        return dir.resolve(EmbeddedS3.STORE_DIR);
    }

    /** The store's process, for tests that stop it. */
    public Process process() {
        return process;
    }

    private void awaitReady(Path log) throws IOException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                    process.destroyForcibly();
                    throw new IOException("the embedded object store did not start on port " + port + ":\n"
                            + Files.readString(log, StandardCharsets.UTF_8), e);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the object store", x);
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (!ownsDir) {
            delete(storeDir());
            Files.deleteIfExists(dir.resolve(EmbeddedS3.PROPERTIES_FILE));
            Files.deleteIfExists(dir.resolve(EmbeddedS3.CREDENTIALS_FILE));
            Files.deleteIfExists(dir.resolve("s3.log"));
            return;
        }
        delete(dir);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
