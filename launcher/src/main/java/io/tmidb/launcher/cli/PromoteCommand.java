// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.launcher.node.Supervisor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tmictl promote}: this replica becomes the primary (docs/operations.md, "Promoting a
 * replica"). When tmidbd runs the node, its supervisor sees the promotion and starts the services
 * of a primary node (worker with its relay, gateway, nats-server, object store); this waits until it did.
 */
@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "On a replica: make it the primary (pg_ctl promote), then wait until tmidbd runs the services of a"
                + " primary node on it. Stop the old primary first.")
final class PromoteCommand implements Callable<Integer> {
    /** How long tmidbd may take to start the services (the worker's and gateway's JVMs, nats-server, the object store). */
    private static final Duration SERVICES_TIMEOUT = Duration.ofSeconds(90);
    @Mixin NodeOptions node;
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Cluster cluster = node.openCluster();
        cluster.promote();
        PrintWriter out = spec.commandLine().getOut();
        out.println("tmictl: promoted: the node in " + cluster.dataDir() + " is a primary now and follows no one");
        out.flush();
        if (TmidbdCommand.supervisorPid(cluster).isEmpty()) {
            out.println("tmictl: tmidbd does not run this node: start it with 'tmidbd start -D " + cluster.dataDir()
                    + "' to run its worker and gateway");
            return ExitCodes.OK;
        }
        Path status = cluster.dataDir().resolve(Supervisor.STATUS_FILE);
        long deadline = System.nanoTime() + SERVICES_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.exists(status) ? Files.readAllLines(status) : List.of();
            if (!lines.isEmpty() && lines.stream().noneMatch(l -> l.startsWith(Supervisor.SERVICES_OFF))) {
                // after the state line, one line per part: its name first
                out.println("tmictl: tmidbd runs the services of a primary node: " + String.join(", ", lines.stream().skip(1)
                        .map(l -> l.split("\\s+")[0]).filter(part -> !part.equals("server")).toList()));
                return ExitCodes.OK;
            }
            Thread.sleep(200);
        }
        spec.commandLine().getErr().println("tmictl: tmidbd did not start the node's services within " + SERVICES_TIMEOUT.toSeconds()
                + " s; read " + cluster.dataDir().resolve("log") + " and 'tmictl status'");
        return ExitCodes.ERROR;
    }
}
