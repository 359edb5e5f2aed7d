// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code tmictl status}: the node's state (see {@link NodeReport}); exit code 3 when the server is down. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Server, services, extension version, stored-logic host, work waiting, connectors, relay lag.")
final class StatusCommand implements Callable<Integer> {
    @Mixin NodeOptions node;
    @Option(names = "--gateway-port")
    int gatewayPort;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int code = NodeReport.print(node.openCluster(), node.database, TmictlCommand.CLI_APP_NAME, spec.commandLine().getOut());
        if (code == ExitCodes.OK) {
            spec.commandLine().getOut().printf("%-11s %-8s http://localhost:%d/ (WebSocket /tmi/ws)%n", "gateway", "url",
                    gatewayPort);
        }
        return code;
    }
}
