// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.launcher.cli.TmictlCommand;
import io.tmidb.launcher.cli.TmidbdCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tmictl config} and tmidbd's checks of tmidb.conf, over a test's own environment and file (no cluster). */
class ConfigCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int tmictl(Map<String, String> env, String... args) {
        CommandLine cmd = TmictlCommand.commandLine(env::get);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    private String line(String key) {
        return out.toString().lines().filter(l -> l.startsWith(key + " ")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    @Test
    void everySettingWithItsValueOriginAndProgramsSecretsMasked() throws IOException {
        Path conf = Files.writeString(dir.resolve("tmidb.conf"), """
                # the node
                data-dir = /srv/tmidb/data
                connector-allow-private = true
                nats-url = nats://relay:s3cret@127.0.0.1:4222
                jwt-secret = 'a-secret-of-more-than-32-characters!'
                """);
        Map<String, String> env = Map.of("TMIDB_CONFIG", conf.toString(), "TMIDB_DB_PASSWORD", "hunter2", "TMIDB_RELAY_WINDOW", "50");
        assertEquals(ExitCodes.OK, tmictl(env, "config"), err::toString);
        assertTrue(out.toString().startsWith("key "), out.toString());
        assertEquals(List.of("connector-allow-private", "true", conf + ":3", "tmictl,tmidb-worker"), columns(line("connector-allow-private")));
        assertEquals(List.of("data-dir", "/srv/tmidb/data", conf + ":2", "tmidbd,tmictl"), columns(line("data-dir")));
        assertEquals(List.of("relay-window", "50", "environment", "TMIDB_RELAY_WINDOW", "tmidb-worker"), columns(line("relay-window")));
        assertEquals(List.of("port", "5432", "default", "tmidbd,tmictl"), columns(line("port")));
        assertEquals(List.of("pg-bindir", "(newest", "/usr/lib/postgresql/N/bin)", "default", "tmidbd,tmictl"), columns(line("pg-bindir")));
        // secrets and credentials never appear
        assertEquals(List.of("db-password", "****", "environment", "TMIDB_DB_PASSWORD", "tmidb-worker,tmidb-gateway"),
                columns(line("db-password")));
        assertEquals(List.of("jwt-secret", "****", conf + ":5", "tmidb-gateway"), columns(line("jwt-secret")));
        assertEquals("nats://***@127.0.0.1:4222", columns(line("nats-url")).get(1));
        for (String secret : List.of("hunter2", "s3cret", "a-secret-of")) {
            assertFalse(out.toString().contains(secret), out.toString());
        }
    }

    @Test
    void oneProgramsSettings() {
        assertEquals(ExitCodes.OK, tmictl(Map.of(), "config", "--program", "tmidb-gateway"), err::toString);
        assertTrue(out.toString().contains("\ncors-origins "), out.toString());
        assertFalse(out.toString().contains("\nbatch-size "), out.toString());
        assertEquals(ExitCodes.USAGE, tmictl(Map.of(), "config", "--program", "postgres"));
        assertTrue(err.toString().startsWith("tmictl: error: no program is named 'postgres'"), err.toString());
    }

    @Test
    void aBadValueInTheFileIsOneLineNamingTheKeyFileAndLine() throws IOException {
        Path conf = Files.writeString(dir.resolve("tmidb.conf"), "data-dir = /srv/tmidb/data\nconnector-allow-private = yes\n");
        CommandLine cmd = TmidbdCommand.commandLine(Map.of("TMIDB_CONFIG", conf.toString())::get);
        cmd.setErr(new PrintWriter(err, true));
        assertEquals(ExitCodes.ERROR, cmd.execute("status"));
        assertEquals("tmidbd: error: connector-allow-private must be true or false, got 'yes' (" + conf + ":2)" + System.lineSeparator(),
                err.toString());
        err.getBuffer().setLength(0);
        assertEquals(ExitCodes.ERROR, tmictl(Map.of(), "status", "--port", "99999"));
        assertEquals("tmictl: error: port must lie in [1, 65535], got '99999' (command line)", err.toString().strip());
    }

    private static List<String> columns(String line) {
        return List.of(line.strip().split("\\s+"));
    }
}
