// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.Node;
import io.tmidb.settings.Service;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tmictl}: the operator's command line for a running tmiDB node. {@code tmictl status} is
 * {@code tmidbd status}: whether the node runs and each subsystem's state, the event relay's lag
 * included.
 */
@Command(name = "tmictl", mixinStandardHelpOptions = true, version = "tmictl " + Node.VERSION,
        description = "Operate a tmiDB node.",
        subcommands = {StatusCommand.class, TmictlCommand.Psql.class, BackupCommand.class, RestoreCommand.class,
                InstallCommand.class, MappingCommand.class, ConnectorCommand.class, AlarmCommand.class, ListenerCommand.class,
                TokenCommand.class, ConsoleTokenCommand.class, NatsCommand.class, ReplicationCommand.class, PromoteCommand.class, ConfigCommand.class,
                StorageCommand.class, VersionCommand.class})
public final class TmictlCommand {
    public static final String CLI_APP_NAME = "tmiDB-CLI";

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return commandLine(System::getenv);
    }

    /** tmictl's command line over the environment {@code env}. */
    public static CommandLine commandLine(java.util.function.Function<String, String> env) {
        return ExitCodes.configure(new CommandLine(new TmictlCommand()), Service.TMICTL, env);
    }

    @Command(name = "psql", mixinStandardHelpOptions = true,
            description = "Open psql on the node's database with the tmiDB prompt. Arguments after -- go to psql.")
    static final class Psql implements Callable<Integer> {
        @Mixin NodeOptions node;

        @Parameters(paramLabel = "PSQL-ARG", description = "Arguments for psql, e.g. -- -c 'SELECT * FROM tmi.status()'.")
        List<String> psqlArgs = new ArrayList<>();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Cluster cluster = node.openCluster();
            List<String> command = new ArrayList<>(List.of(cluster.installation().program("psql")));
            command.addAll(psqlArgs);
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().putAll(cluster.clientEnv(node.database, CLI_APP_NAME));
            return pb.start().waitFor();
        }
    }
}
