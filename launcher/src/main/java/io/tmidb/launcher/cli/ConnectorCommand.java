// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tmictl connector}: groups the connector subcommands. */
@Command(name = "connector", mixinStandardHelpOptions = true,
        description = "Inspect connectors (URLs tmiDB fetches on a schedule).",
        subcommands = {ConnectorListCommand.class, ConnectorTestCommand.class})
final class ConnectorCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a subcommand: list or test");
    }
}
