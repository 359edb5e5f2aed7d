// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tmidb-worker's command line: help made from its settings, one-line errors and exit code 2 (nothing started). */
class WorkerMainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        CommandLine cmd = WorkerMain.commandLine(env::get);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void helpListsTheWorkersSettingsOnly() {
        assertEquals(0, run(Map.of(), "--help"));
        String help = out.toString();
        for (String option : new String[] {"--config=FILE", "--db-url=TEXT", "--db-password=TEXT", "--batch-size=N",
                "--sweep-interval=DURATION", "--connector-allow-private=true|false", "--relay-window=N"}) {
            assertTrue(help.contains(option), help);
        }
        assertFalse(help.contains("--gateway-port"), help);
        assertFalse(help.contains("--data-dir"), help);
    }

    @Test
    void badOptionsAndValuesAreOneLine() {
        assertEquals(2, run(Map.of(), "--port=5432"));
        assertEquals("tmidb-worker: error: Unknown option: '--port=5432' (see tmidb-worker --help)", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "positional"));
        assertTrue(err.toString().startsWith("tmidb-worker: error: Unmatched argument"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of("TMIDB_CONNECTOR_MAX_REDIRECTS", "99")));
        assertEquals("tmidb-worker: error: connector-max-redirects must lie in [0, 20], got '99' (environment"
                + " TMIDB_CONNECTOR_MAX_REDIRECTS)", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "--db-url=postgres://x", "--db-password=hunter2"));
        assertTrue(err.toString().startsWith("tmidb-worker: error: db-url must be a JDBC URL"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "--config", "/nonexistent/tmidb.conf"));
        assertTrue(err.toString().startsWith("tmidb-worker: error: cannot read the configuration file /nonexistent/tmidb.conf"),
                err.toString());
    }
}
