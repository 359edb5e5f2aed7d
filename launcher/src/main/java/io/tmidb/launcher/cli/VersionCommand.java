// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.util.concurrent.Callable;

/** {@code tmictl version}: what this installation of tmiDB is. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print tmiDB's version.")
final class VersionCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("tmiDB " + Node.VERSION + " (extension tmidb " + Node.VERSION + ", Java "
                + Runtime.version().feature() + ")");
        return ExitCodes.OK;
    }
}
