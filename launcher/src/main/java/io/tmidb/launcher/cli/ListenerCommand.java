// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.sql.Connection;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code tmictl listener ...}: tmi.add_listener, tmi.drop_listener, tmi.subscribe, tmi.unsubscribe and the listeners (tokens: {@code tmictl token}). */
@Command(name = "listener", mixinStandardHelpOptions = true, description = "Listeners and their subscriptions.",
        subcommands = {ListenerCommand.Add.class, ListenerCommand.Subscribe.class, ListenerCommand.Unsubscribe.class,
                ListenerCommand.Drop.class, ListenerCommand.ListListeners.class})
final class ListenerCommand {
    private static final String UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Create a listener.")
    static final class Add implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.add_listener(?) AS listener_id", name);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "subscribe", mixinStandardHelpOptions = true, description = "Let a listener read a target (by id) or a kind.")
    static final class Subscribe implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "LISTENER") String listener;
        @Parameters(index = "1", paramLabel = "TARGET-ID|KIND") String scope;
        @Option(names = "--fields", split = ",", paramLabel = "FIELD", description = "Only these fields (default: all).") List<String> fields;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                String cast = scope.matches(UUID) ? "uuid" : "text";
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.subscribe(?, CAST(? AS " + cast + "),"
                        + " CAST(? AS text[])) AS subscription_id", listener, scope, fields == null ? null : c.createArrayOf("text", fields.toArray()));
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "unsubscribe", mixinStandardHelpOptions = true, description = "Take a target or kind away from a listener.")
    static final class Unsubscribe implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "LISTENER") String listener;
        @Parameters(index = "1", paramLabel = "TARGET-ID|KIND") String scope;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.unsubscribe(?, CAST(? AS "
                        + (scope.matches(UUID) ? "uuid" : "text") + ")) AS removed", listener, scope);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "drop", mixinStandardHelpOptions = true,
            description = "Drop a listener with its subscriptions and tokens (a listener added again later gets none of them).")
    static final class Drop implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.drop_listener(?) AS listener_id", name);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Listeners and what they may read.")
    static final class ListListeners implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), """
                        SELECT l.name AS listener, coalesce(s.kind, s.target_id::text) AS subscribed_to,
                               coalesce(array_to_string(s.fields, ','), 'all fields') AS fields
                          FROM tmi.listener l LEFT JOIN tmi.listener_subscription s USING (listener_id)
                         ORDER BY l.name, 2""");
            }
            return ExitCodes.OK;
        }
    }
}
