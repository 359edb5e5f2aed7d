// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs a check script of {@code src/test/js} with node, after {@code npm ci} installs the clients
 * pinned in its package-lock.json into {@code target/js-clients}. Needs node and npm (scripts/install-deps).
 */
final class NodeClients {
    private static final List<String> FILES = List.of("package.json", "package-lock.json", "postgrest.mjs", "supabase.mjs", "supabase-rpc.mjs");

    private NodeClients() {
    }

    /** The script's output, after asserting it exited 0. {@code nodeOptions} go before the script. */
    static String run(String script, Map<String, String> env, String... nodeOptions) throws IOException, InterruptedException {
        Path source = Path.of(System.getProperty("tmidb.gateway.js.dir", "src/test/js"));
        Path work = Path.of("target", "js-clients");
        Files.createDirectories(work);
        for (String f : FILES) {
            Files.copy(source.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Result install = run(work, Map.of(), List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"));
        assertEquals(0, install.exit(), install.output());
        List<String> command = new ArrayList<>(List.of("node"));
        command.addAll(List.of(nodeOptions));
        command.add(script);
        Result checks = run(work, env, command);
        assertEquals(0, checks.exit(), checks.output());
        return checks.output();
    }

    /**
     * What supabase-js needs of node: {@code --experimental-websocket} on Node 20 and 21, where
     * WebSocket (which the client's realtime part wants at construction) is not yet global.
     */
    static String[] supabaseOptions() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("node", "-p", "process.versions.node.split('.')[0]").redirectErrorStream(true).start();
        String major = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        return Integer.parseInt(major) < 22 ? new String[] {"--experimental-websocket"} : new String[0];
    }

    record Result(int exit, String output) {
    }

    /** Runs {@code command} in {@code dir} with {@code env} added, within three minutes. */
    static Result run(Path dir, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
