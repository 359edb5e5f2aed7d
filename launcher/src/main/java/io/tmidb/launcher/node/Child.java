// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import io.tmidb.pgnotify.Backoff;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * A process the node supervisor keeps running (the server, the worker, the gateway, nats-server):
 * started with its output appended to the node's log directory, restarted after a crash with a
 * pause that doubles up to a minute and resets once the process has run for a minute.
 */
final class Child {
    private static final Logger LOG = Logger.getLogger(Child.class.getName());
    private static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    private static final Duration MAX_PAUSE = Duration.ofMinutes(1);

    final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private Instant startedAt;
    private Instant restartAt;
    private final Backoff pause = new Backoff(FIRST_PAUSE, MAX_PAUSE);
    private int restarts;
    /** Stopped on purpose (see {@link NodeHold}): not restarted until released. */
    private boolean held;

    Child(String name, List<String> command, Map<String, String> env, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.log = log;
    }

    void start() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .directory(new File("/"));
        pb.environment().putAll(env);
        process = pb.start();
        startedAt = Instant.now();
        restartAt = null;
        LOG.info(() -> name + ": started, pid " + process.pid());
    }

    /** Called every tick: notices a crash and restarts when its pause is over. */
    void tend() throws IOException {
        if (held) {
            return;
        }
        if (process != null && process.isAlive()) {
            if (Duration.between(startedAt, Instant.now()).compareTo(MAX_PAUSE) > 0) {
                pause.reset();
            }
            return;
        }
        if (restartAt == null) {
            int code = process == null ? -1 : process.exitValue();
            Duration wait = pause.next();
            restartAt = Instant.now().plus(wait);
            LOG.warning(() -> name + ": exited with code " + code + "; restarting in " + wait.toSeconds()
                    + " s (see " + log + ")");
        } else if (!Instant.now().isBefore(restartAt)) {
            restarts++;
            start();
        }
    }

    /** Asks the process to stop (SIGTERM) and waits; kills it after {@code grace}. */
    void stop(Duration grace) throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            LOG.warning(() -> name + ": did not stop within " + grace.toSeconds() + " s; killing it");
            process.destroyForcibly().waitFor();
        }
    }

    /** Stops the process and keeps it stopped until {@link #release}. */
    void hold(Duration grace) throws InterruptedException {
        held = true;
        stop(grace);
    }

    /** Starts a held process again. */
    void release() throws IOException {
        held = false;
        start();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process == null ? -1 : process.pid();
    }

    /** One line for {@code tmidbd status}: name, state, pid, restarts. */
    String statusLine() {
        return String.format("%-11s %-8s pid %d, %d restarts", name, alive() ? "running" : held ? "held" : "down", pid(), restarts);
    }
}
