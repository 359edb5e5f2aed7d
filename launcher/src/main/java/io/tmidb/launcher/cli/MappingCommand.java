// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.stored.mapping.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.Callable;

/** {@code tmictl mapping ...}: mapping rules. */
@Command(name = "mapping", mixinStandardHelpOptions = true, description = "Mapping rules.",
        subcommands = {MappingCommand.Add.class, MappingCommand.ListRules.class, MappingCommand.Remap.class,
                MappingCommand.Preview.class, MappingSuggestCommand.class})
final class MappingCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Register (or replace) the mapping rule of a source.")
    static final class Add implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(index = "0", paramLabel = "SOURCE") String source;
        @Option(names = "--rule", required = true, paramLabel = "JSON|@FILE", description = "The rule, or @file holding it.") String rule;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.add_mapping(?, CAST(? AS jsonb)) AS rule_id",
                        source, SqlCommands.inlineOrFile(rule));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Mapping rules, with how their documents ended.")
    static final class ListRules implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), """
                        SELECT m.source, m.rule_id, m.enabled, m.rule->>'kind' AS kind, m.updated_at,
                               count(r.*) FILTER (WHERE r.status = 'mapped') AS mapped,
                               count(r.*) FILTER (WHERE r.status = 'failed') AS failed,
                               count(r.*) FILTER (WHERE r.status = 'pending') AS pending
                          FROM tmi.mapping_rule m LEFT JOIN tmi.raw_bucket r ON r.source = m.source
                         GROUP BY m.rule_id ORDER BY m.source""");
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "remap", mixinStandardHelpOptions = true,
            description = "Map a source's stored documents again (failed and unmapped; all with --all), showing progress.")
    static final class Remap implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(index = "0", paramLabel = "SOURCE") String source;
        @Option(names = "--all", description = "Also documents that were mapped.") boolean all;
        @Option(names = "--no-wait", description = "Queue them and return.") boolean noWait;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            try (Connection c = node.connect();
                 PreparedStatement remap = c.prepareStatement("SELECT tmi.remap(?, ?)");
                 PreparedStatement pending = c.prepareStatement("SELECT count(*) FROM tmi.raw_bucket WHERE source = ? AND status = 'pending'")) {
                remap.setString(1, source);
                remap.setBoolean(2, all);
                long queued;
                try (ResultSet rs = remap.executeQuery()) {
                    rs.next();
                    queued = rs.getLong(1);
                }
                out.printf("remap: %d documents of %s queued%n", queued, source);
                pending.setString(1, source);
                for (long left = queued; left > 0 && !noWait; ) {
                    Thread.sleep(1000);
                    try (ResultSet rs = pending.executeQuery()) {
                        rs.next();
                        left = rs.getLong(1);
                    }
                    out.printf("remap: %d of %d done%n", queued - left, queued);
                    out.flush();
                }
            }
            return ExitCodes.OK;
        }
    }

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
        public Integer call() throws Exception {
            Cluster cluster = node.openCluster();
            try (Connection c = cluster.connect(node.database, TmictlCommand.CLI_APP_NAME);
                 PreparedStatement pretty = c.prepareStatement("SELECT jsonb_pretty(CAST(? AS jsonb))")) {
                pretty.setString(1, Pipeline.preview(c, SqlCommands.inlineOrFile(rule), SqlCommands.inlineOrFile(document)));
                try (ResultSet rs = pretty.executeQuery()) {
                    rs.next();
                    spec.commandLine().getOut().println(rs.getString(1));
                }
            }
            return ExitCodes.OK;
        }

    }
}
