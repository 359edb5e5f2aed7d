// SPDX-License-Identifier: MIT
package io.tmidb.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program to completion within a time limit, with stdout and stderr merged. Output goes
 * through a file, not a pipe: a program that leaves a daemon behind (tmidbd start leaves the
 * server running) cannot hold the read open.
 *
 * @param exitCode the program's exit code
 * @param output what it printed, stdout and stderr interleaved
 */
record Command(int exitCode, String output) {

    /** Runs {@code command} with this process's environment less any TMIDB_* and JAVA settings, plus {@code env}. */
    static Command run(List<String> command, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("tmidb-packaging-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("TMIDB_") || k.equals("JAVA"));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout
                        + "; it printed:\n" + Files.readString(out));
            }
            return new Command(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static Command run(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(List.of(command), Map.of(), timeout);
    }

    boolean ok() {
        return exitCode == 0;
    }
}
