// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion, capturing its combined output. */
final class Exec {
    /** The outcome of a finished command. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private Exec() {
    }

    static Result run(List<String> command, Map<String, String> env, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                // a directory every OS user may enter, so a command run as another user can start
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .directory(Path.of("/").toFile());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ClusterException("cannot run " + command.get(0) + ": " + e.getMessage(),
                    "Check that PostgreSQL 15 or newer is installed (Debian: apt-get install postgresql-15).", e);
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new ClusterException(String.join(" ", command) + " did not finish within " + timeout,
                        "See the server log in the data directory's log/ folder.");
            }
            return new Result(p.exitValue(), out.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted while running " + command.get(0), "", e);
        }
    }

    /** Runs the command and fails with its output unless it exits with 0. */
    static String check(List<String> command, Map<String, String> env, Duration timeout, String hint) {
        Result r = run(command, env, timeout);
        if (!r.ok()) {
            throw new ClusterException(Path.of(command.get(0)).getFileName() + " failed (exit " + r.exitCode()
                    + "): " + r.output().strip(), hint);
        }
        return r.output();
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(output unreadable: " + e.getMessage() + ")";
        }
    }
}
