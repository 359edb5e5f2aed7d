// SPDX-License-Identifier: MIT
package io.tmidb.cli;

import io.tmidb.launcher.cli.TmictlCommand;
import io.tmidb.testkit.TestDatabase;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code tmictl} in-process against the test database, capturing its output and exit code. */
record Tmictl(int exitCode, String out, String err) {

    static Tmictl run(TestDatabase db, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-D", db.cluster().dataDir().toString(), "--pg-bindir",
                db.cluster().installation().binDir().toString(), "-d", db.name()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = TmictlCommand.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(all.toArray(String[]::new));
        return new Tmictl(code, out.toString(), err.toString());
    }
}
