// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine.Option;

/** Options for the services a node runs beside the server. */
public final class ServiceOptions {
    @Option(names = "--nats-url", paramLabel = "URL",
            description = "An external NATS server for the event relay (env TMIDB_NATS_URL). Without it, the node runs"
                    + " nats-server with JetStream on 127.0.0.1:4222 when that program is installed.")
    String natsUrl;

    @Option(names = "--gateway-port", defaultValue = "3000",
            description = "Port of the REST/WebSocket gateway (env TMIDB_GATEWAY_PORT; default ${DEFAULT-VALUE}).")
    int gatewayPort;
}
