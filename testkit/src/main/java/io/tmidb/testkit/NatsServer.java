// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code nats-server} with JetStream on a free loopback port and a temporary store
 * directory, for tests and benchmarks. {@link #stop()} and {@link #start()} take it down and
 * bring it back on the same port with the same store, the way an operator restarts one;
 * {@link #close()} stops it and deletes the store. The program is {@code TMIDB_NATS_SERVER}, else
 * {@code nats-server} from Debian's package ({@code scripts/install-deps} installs it).
 */
public final class NatsServer implements AutoCloseable {
    private static final long READY_TIMEOUT_MS = 15_000;

    private final Path program;
    private final Path dir;
    private final int port;
    private Process process;
    private int starts;

    private NatsServer(Path program, Path dir, int port) {
        this.program = program;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts a new server, with {@code config} lines (nats-server's configuration syntax, e.g.
     * {@code max_payload: 2048}) when given; throws with the remedy when nats-server is not installed.
     */
    public static NatsServer startNew(String... config) {
        try {
            Path program = locate();
            NatsServer server = new NatsServer(program, Files.createTempDirectory("tmidb-nats-"), freePort());
            Files.write(server.dir.resolve("nats.conf"), List.of(config), StandardCharsets.UTF_8);
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    /** The URL with a user's credentials, for a server configured with users. */
    public String url(String user, String password) {
        return "nats://" + user + ":" + password + "@127.0.0.1:" + port;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Starts the server (again) and waits until it is ready for clients, at most 15 s. */
    public void start() throws IOException {
        if (running()) {
            return;
        }
        Path log = dir.resolve("nats-" + (++starts) + ".log");
        process = new ProcessBuilder(program.toString(), "-c", dir.resolve("nats.conf").toString(),
                "-js", "-sd", dir.resolve("store").toString(), "-a", "127.0.0.1", "-p", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (!Files.readString(log, StandardCharsets.UTF_8).contains("Server is ready")) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                process.destroyForcibly();
                throw new IOException("nats-server did not become ready on port " + port + ":\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            sleep(20);
        }
    }

    /** Stops the server the way an operator does (SIGTERM), waiting for it to exit. */
    public void stop() {
        halt(false);
    }

    /** Kills the server without warning (SIGKILL). */
    public void kill() {
        halt(true);
    }

    private void halt(boolean force) {
        if (!running()) {
            return;
        }
        if (force) {
            process.destroyForcibly();
        } else {
            process.destroy();
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path locate() throws IOException {
        Optional<Path> configured = Optional.ofNullable(System.getenv("TMIDB_NATS_SERVER")).map(Path::of);
        List<Path> candidates = configured.map(List::of).orElseGet(() -> Stream.concat(
                Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(s -> !s.isEmpty())
                        .map(d -> Path.of(d, "nats-server")),
                Stream.of(Path.of("/usr/sbin/nats-server"), Path.of("/usr/bin/nats-server"))).toList());
        return candidates.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IOException(
                "nats-server not found (looked at " + candidates + "); install Debian's nats-server package"
                        + " (scripts/install-deps does) or set TMIDB_NATS_SERVER to the program"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for nats-server", e);
        }
    }
}
