// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.Connection;
import java.util.concurrent.Callable;

/**
 * {@code tmictl console-token}: a token to sign in to the console with (tmi.issue_token: revocable,
 * for an admin unless told otherwise) and the console's address on this node's gateway. The token
 * is printed alone on the first line, so that {@code | head -1} gives it to scripts.
 */
@Command(name = "console-token", mixinStandardHelpOptions = true,
        description = "Print a token to sign in to the console (an admin's by default) and the console's URL.")
final class ConsoleTokenCommand implements Callable<Integer> {
    /** Who the token is for: a role, or a listener (whose token reads what it subscribed to). */
    static final class Who {
        @Option(names = "--role", paramLabel = "ROLE", description = "tmi_admin (default) or tmi_speaker.")
        String role;

        @Option(names = "--listener", paramLabel = "NAME", description = "A listener's token instead: the console shows what it reads.")
        String listener;
    }

    @Mixin NodeOptions node;
    @Spec CommandLine.Model.CommandSpec spec;
    @ArgGroup(exclusive = true) Who who;

    @Option(names = "--subject", defaultValue = "console", description = "Who an admin's or speaker's token is for (default ${DEFAULT-VALUE}).")
    String subject;

    @Option(names = "--ttl", defaultValue = "8 hours", description = "How long it is valid (default ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--gateway-port")
    int gatewayPort;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String listener = who == null ? null : who.listener;
        String role = listener != null ? "tmi_listener" : who != null && who.role != null ? who.role : "tmi_admin";
        if (!role.equals("tmi_admin") && !role.equals("tmi_speaker") && listener == null) {
            spec.commandLine().getErr().println("tmictl: error: --role must be tmi_admin or tmi_speaker, not " + role);
            spec.commandLine().getErr().println("tmictl: hint: for a listener's token, pass --listener NAME");
            return ExitCodes.USAGE;
        }
        String forWhom = listener != null ? listener : subject;
        try (Connection c = node.connect();
             var ps = c.prepareStatement("SELECT tmi.issue_token(?, ?, CAST(? AS interval))")) {
            ps.setString(1, role);
            ps.setString(2, forWhom);
            ps.setString(3, ttl);
            try (var rs = ps.executeQuery()) {
                rs.next();
                out.println(rs.getString(1));
            }
        }
        out.println("Console: http://localhost:" + gatewayPort + "/console/ (paste the token above; " + role
                + (listener != null ? " " + listener : "") + ", valid for " + ttl + ")");
        return ExitCodes.OK;
    }
}
