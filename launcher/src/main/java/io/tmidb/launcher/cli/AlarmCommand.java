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

/** {@code tmictl alarm ...}: tmi.add_alarm, tmi.ack_alarm and the alarms. */
@Command(name = "alarm", mixinStandardHelpOptions = true, description = "Alarm rules and alarms.",
        subcommands = {AlarmCommand.Add.class, AlarmCommand.ListAlarms.class, AlarmCommand.Ack.class})
final class AlarmCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Watch a field: raise when 'FIELD OP THRESHOLD' holds.")
    static final class Add implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "SCOPE", description = "A kind, or a target id.") String scope;
        @Parameters(index = "1", paramLabel = "FIELD", description = "The observation field.") String field;
        @Parameters(index = "2", paramLabel = "OP", description = "One of > >= < <= = <>.") String op;
        @Parameters(index = "3", paramLabel = "THRESHOLD") double threshold;
        @Option(names = "--clear-at", description = "Clear only past this value (hysteresis).") Double clearAt;
        @Option(names = "--for", paramLabel = "INTERVAL", defaultValue = "0", description = "How long the condition must hold, e.g. '5 minutes'.") String forDuration;
        @Option(names = "--severity", defaultValue = "warning", description = "info, warning or critical.") String severity;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), "SELECT tmi.add_alarm(?, ?, ?, ?, ?, CAST(? AS interval), ?) AS rule_id",
                        scope, field, op, threshold, clearAt, forDuration, severity);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Alarms, newest first (open ones only with --open).")
    static final class ListAlarms implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Option(names = "--open", description = "Only active and acknowledged alarms.") boolean open;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect()) {
                SqlCommands.print(c, spec.commandLine().getOut(), """
                        SELECT a.alarm_id, a.state, r.severity, t.kind, t.name AS target, r.field || ' ' || r.op || ' ' || r.threshold AS rule,
                               a.value, a.raised_at, a.acked_at, a.cleared_at
                          FROM tmi.alarm_event a JOIN tmi.alarm_rule r USING (rule_id) JOIN tmi.target t USING (target_id)
                         WHERE NOT ? OR a.state <> 'cleared' ORDER BY a.raised_at DESC, a.alarm_id DESC""", open);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "ack", mixinStandardHelpOptions = true, description = "Acknowledge an active alarm.")
    static final class Ack implements Callable<Integer> {
        @Mixin NodeOptions node;
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "ALARM-ID") long alarmId;

        @Override
        public Integer call() throws Exception {
            try (Connection c = node.connect();
                 java.sql.PreparedStatement ps = c.prepareStatement("SELECT tmi.ack_alarm(?)")) {
                ps.setLong(1, alarmId);
                ps.execute();
            }
            spec.commandLine().getOut().println("alarm " + alarmId + " acknowledged");
            return ExitCodes.OK;
        }
    }
}
