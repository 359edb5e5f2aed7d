// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine.Option;

/**
 * Settings of the services a node runs beside the server that tmidbd takes on its command line
 * (help, default and check from {@link io.tmidb.settings.Setting}, see {@link ConfigDefaults}).
 * tmidbd reads them with their origins ({@link ConfigDefaults#of}) and passes those given on its
 * command line on to the services; these fields only declare the options. {@code --engine-restart}
 * is tmidbd's own (see {@link io.tmidb.launcher.node.Supervisor}).
 */
public final class ServiceOptions {
    @Option(names = "--nats-url", paramLabel = "URL")
    String natsUrl;

    @Option(names = "--nats-port")
    int natsPort;

    @Option(names = "--gateway-port")
    int gatewayPort;

    @Option(names = "--engine-restart", arity = "1", paramLabel = "true|false")
    boolean engineRestart;
}
