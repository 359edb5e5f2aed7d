// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import io.tmidb.launcher.cli.ExitCodes;
import io.tmidb.launcher.cli.TmictlCommand;
import io.tmidb.launcher.cli.TmidbdCommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command lines' shape: help, versions and usage errors (no cluster involved). */
class TmidbdCommandTest {

    @Test
    void helpListsEverySubcommand() {
        StringWriter out = new StringWriter();
        CommandLine cmd = TmidbdCommand.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertEquals(ExitCodes.OK, cmd.execute("--help"));
        for (String sub : new String[] {"init", "start", "stop", "status"}) {
            assertTrue(out.toString().contains(sub), out.toString());
        }
    }

    @Test
    void optionsNameTheirEnvironmentVariables() {
        StringWriter out = new StringWriter();
        CommandLine cmd = TmidbdCommand.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertEquals(ExitCodes.OK, cmd.execute("init", "--help"));
        for (String env : new String[] {"TMIDB_DATA_DIR", "TMIDB_PORT", "TMIDB_OS_USER", "TMIDB_PG_BINDIR"}) {
            assertTrue(out.toString().contains(env), out.toString());
        }
        // the help text is the setting's, with its default
        assertTrue(out.toString().replaceAll("\\s+", " ").contains("port of a new cluster (an existing one keeps its own)"
                + " (env TMIDB_PORT; default 5432)"), out.toString());
    }

    @Test
    void versionsNameTheProduct() {
        StringWriter out = new StringWriter();
        CommandLine cmd = TmictlCommand.commandLine();
        cmd.setOut(new PrintWriter(out));
        assertEquals(ExitCodes.OK, cmd.execute("--version"));
        assertEquals("tmictl " + Node.VERSION, out.toString().strip());
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        CommandLine cmd = TmidbdCommand.commandLine();
        cmd.setErr(new PrintWriter(new StringWriter()));
        assertEquals(ExitCodes.USAGE, cmd.execute("start", "--no-such-option"));
        assertEquals(ExitCodes.USAGE, TmictlCommand.commandLine().setErr(new PrintWriter(new StringWriter())).execute("frobnicate"));
    }
}
