// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tmidb-gateway's command line: help made from its settings, one-line errors and exit code 2 (nothing started). */
class GatewayMainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String... args) {
        CommandLine cmd = GatewayMain.commandLine(env::get);
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void helpListsTheGatewaysSettingsOnly() {
        assertEquals(0, run(Map.of(), "--help"));
        String help = out.toString();
        for (String option : new String[] {"--config=FILE", "--gateway-host=TEXT", "--gateway-port=N", "--jwt-secret=TEXT",
                "--cors-origins=A,B,...", "--ws-heartbeat=DURATION"}) {
            assertTrue(help.contains(option), help);
        }
        assertTrue(help.replaceAll("\\s+", " ").contains("secret, shown masked"), help);
        assertFalse(help.contains("--batch-size"), help);
    }

    @Test
    void badOptionsAndValuesAreOneLineWithSecretsMasked() {
        // the server's port is tmidbd's; the gateway's is gateway-port
        assertEquals(2, run(Map.of(), "--port=3000"));
        assertEquals("tmidb-gateway: error: Unknown option: '--port=3000' (see tmidb-gateway --help)", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "--gateway-port=http"));
        assertEquals("tmidb-gateway: error: gateway-port must be an integer, got 'http' (command line)", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of("TMIDB_JWT_SECRET", "short-but-secret")));
        assertEquals("tmidb-gateway: error: jwt-secret must have at least 32 characters, or be empty, got '****'"
                + " (environment TMIDB_JWT_SECRET)", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(Map.of(), "--cors-origins=https://ok.example,app.example.test/path"));
        assertEquals("tmidb-gateway: error: cors-origins must hold origins such as https://app.example.com:8443, or *,"
                + " got 'https://ok.example,app.example.test/path' (command line)", err.toString().strip());
    }
}
