// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A program's command line made from its settings: help, values with origins, one-line errors. */
class ServiceCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final AtomicReference<Settings> seen = new AtomicReference<>();

    private int run(Map<String, String> env, String... args) {
        CommandLine cmd = ServiceCommand.commandLine(Service.WORKER, "Runs the worker.", env::get, sources -> {
            seen.set(Settings.resolve(Service.WORKER, sources));
            return 0;
        });
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void helpListsEverySettingOfTheProgramWithItsVariableAndDefault() {
        assertEquals(0, run(Map.of(), "--help"));
        assertNull(seen.get());
        String help = out.toString();
        assertTrue(help.contains("--connector-allow-private=true|false"), help);
        // picocli wraps descriptions at a width that depends on the longest options: compare words, not lines
        assertTrue(help.replaceAll("\\s+", " ").contains("TMIDB_CONNECTOR_ALLOW_PRIVATE; default false"), help);
        assertTrue(help.contains("--config=FILE"), help);
        assertTrue(!help.contains("--gateway-port"), help);
    }

    @Test
    void optionsAndTheConfigFileGiveTheSettingsWithTheirOrigins() throws IOException {
        Path conf = Files.writeString(dir.resolve("tmidb.conf"), "connector-allow-private = true\nbatch-size = 9\n");
        assertEquals(0, run(Map.of("TMIDB_BATCH_SIZE", "8"), "--config", conf.toString(), "--relay-window=5"), err::toString);
        Settings s = seen.get();
        assertTrue(s.getBoolean(Setting.CONNECTOR_ALLOW_PRIVATE));
        assertEquals(conf + ":1", s.value(Setting.CONNECTOR_ALLOW_PRIVATE).orElseThrow().origin().toString());
        assertEquals(8, s.getInt(Setting.BATCH_SIZE));
        assertEquals(5, s.getInt(Setting.RELAY_WINDOW));
        assertEquals(Origin.COMMAND_LINE, s.value(Setting.RELAY_WINDOW).orElseThrow().origin());
    }

    @Test
    void badOptionsAndValuesAreOneLineAndExitCode2() throws IOException {
        assertEquals(ServiceCommand.USAGE, run(Map.of(), "--no-such-option"));
        assertEquals("tmidb-worker: error: Unknown option: '--no-such-option' (see tmidb-worker --help)", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(ServiceCommand.USAGE, run(Map.of(), "--relay-window=0"));
        assertEquals("tmidb-worker: error: relay-window must lie in [1, 100000], got '0' (command line)", err.toString().strip());
        err.getBuffer().setLength(0);
        Path conf = Files.writeString(dir.resolve("tmidb.conf"), "connector-allow-private = maybe\n");
        assertEquals(ServiceCommand.USAGE, run(Map.of("TMIDB_CONFIG", conf.toString())));
        assertEquals("tmidb-worker: error: connector-allow-private must be true or false, got 'maybe' (" + conf + ":1)",
                err.toString().strip());
        assertNull(seen.get());
    }
}
