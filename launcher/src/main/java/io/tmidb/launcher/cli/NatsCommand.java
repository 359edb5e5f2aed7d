// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ClusterException;
import io.tmidb.cluster.EmbeddedNats;
import io.tmidb.launcher.node.Supervisor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code tmictl nats ...}: the node's own nats-server, as a subscriber reaches it. */
@Command(name = "nats", mixinStandardHelpOptions = true, description = "The node's NATS server.",
        subcommands = {NatsCommand.Credentials.class})
final class NatsCommand {
    @Command(name = "credentials", mixinStandardHelpOptions = true,
            description = "Print the read-only connect URL of the node's nats-server (alone, for scripts): it may subscribe"
                    + " to events and consume the stream, never publish events or change the stream.")
    static final class Credentials implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Option(names = "--nats-port")
        int natsPort;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Cluster cluster = node.openCluster();
            Path status = cluster.dataDir().resolve(Supervisor.STATUS_FILE);
            // a node started with nats-url set publishes to an external NATS, whose operator makes its users
            if (Files.exists(status) && Files.readAllLines(status).stream().noneMatch(l -> l.startsWith("nats "))) {
                throw new ClusterException("the node in " + cluster.dataDir() + " runs no nats-server of its own"
                        + " (nats-url is set, or nats-server is not installed)", "Ask the operator of the NATS in nats-url"
                        + " for a read-only user (docs/relay.md, \"Who may publish\").");
            }
            // the port the node's nats-server was started on; before its first start, the setting's
            int port = EmbeddedNats.configuredPort(cluster.dataDir()).orElse(natsPort);
            spec.commandLine().getOut().println(EmbeddedNats.credentials(cluster.dataDir()).subscriberUrl(port));
            return ExitCodes.OK;
        }
    }
}
