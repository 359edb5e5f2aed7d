// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.launcher.cluster.Cluster;
import io.tmidb.stored.mapping.Pipeline;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/** {@code tmictl mapping ...}: mapping rules. */
@Command(name = "mapping", mixinStandardHelpOptions = true, description = "Mapping rules.",
        subcommands = {MappingCommand.Preview.class})
final class MappingCommand {

    @Command(name = "preview", mixinStandardHelpOptions = true,
            description = "Show what a document would become under a rule (targets, observations, positions, item errors),"
                    + " writing nothing. Runs the same code as the stored logic, so it works on either host.")
    static final class Preview implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--rule", required = true, paramLabel = "JSON|@FILE", description = "The rule, or @file holding it.")
        String rule;

        @Option(names = "--document", required = true, paramLabel = "JSON|@FILE", description = "The document, or @file holding it.")
        String document;

        @Override
        public Integer call() throws SQLException, IOException {
            Cluster cluster = node.openCluster();
            try (Connection c = cluster.connect(node.database, TmictlCommand.CLI_APP_NAME);
                 PreparedStatement pretty = c.prepareStatement("SELECT jsonb_pretty(CAST(? AS jsonb))")) {
                pretty.setString(1, Pipeline.preview(c, read(rule), read(document)));
                try (ResultSet rs = pretty.executeQuery()) {
                    rs.next();
                    spec.commandLine().getOut().println(rs.getString(1));
                }
            }
            return ExitCodes.OK;
        }

        private static String read(String arg) throws IOException {
            return arg.startsWith("@") ? Files.readString(Path.of(arg.substring(1))) : arg;
        }
    }
}
