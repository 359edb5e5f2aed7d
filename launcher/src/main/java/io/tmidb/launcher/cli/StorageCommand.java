// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tmictl storage}: groups the subcommands about how ts_obs is stored. */
@Command(name = "storage", mixinStandardHelpOptions = true,
        description = "How the time series (ts_obs) is stored: TimescaleDB hypertable or native partitions.",
        subcommands = {StorageMigrateCommand.class})
final class StorageCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a subcommand: migrate");
    }
}
