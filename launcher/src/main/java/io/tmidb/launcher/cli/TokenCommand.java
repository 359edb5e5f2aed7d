// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.sql.Connection;
import java.util.concurrent.Callable;

/** {@code tmictl token ...}: tmi.issue_token and tmi.revoke_tokens, for listeners, speakers and admins alike. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Issue and revoke JWTs for a role and a subject.",
        subcommands = {TokenCommand.Issue.class, TokenCommand.Revoke.class})
final class TokenCommand {
    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue a JWT (printed alone, for scripts); for tmi_listener the subject is the listener's name.")
    static final class Issue implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "ROLE", description = "tmi_listener, tmi_speaker or tmi_admin.") String role;
        @Parameters(index = "1", paramLabel = "SUBJECT", description = "Who it is for: a listener, a device, a person.") String subject;
        @Option(names = "--ttl", defaultValue = "1 hour", description = "How long it is valid (default ${DEFAULT-VALUE}).") String ttl;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect();
                 var ps = c.prepareStatement("SELECT tmi.issue_token(?, ?, CAST(? AS interval))")) {
                ps.setString(1, role);
                ps.setString(2, subject);
                ps.setString(3, ttl);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    spec.commandLine().getOut().println(rs.getString(1));
                }
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke every token issued for the role and subject; the gateway refuses them at once.")
    static final class Revoke implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "ROLE") String role;
        @Parameters(index = "1", paramLabel = "SUBJECT") String subject;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.revoke_tokens(?, ?) AS revoked", role, subject);
            }
            return ExitCodes.OK;
        }
    }
}
