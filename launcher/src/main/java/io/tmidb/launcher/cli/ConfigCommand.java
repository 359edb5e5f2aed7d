// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.settings.Service;
import io.tmidb.settings.Setting;
import io.tmidb.settings.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code tmictl config}: every setting of every program with its effective value (secrets masked)
 * and where it comes from — command line, environment, tmidb.conf path:line, default — as the
 * programs started with this environment and file resolve them. tmidbd hands the worker and the
 * gateway the database to use (db-url, db-user, db-password) itself.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Show each setting's effective value (secrets masked), where it comes from and which programs read it.")
final class ConfigCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--program", paramLabel = "NAME",
            description = "Only the settings this program reads: tmidbd, tmictl, tmidb-worker or tmidb-gateway.")
    String program;

    @Override
    public Integer call() {
        Settings settings = ConfigDefaults.of(spec);
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"key", "value", "origin", "read by"});
        for (Setting s : Setting.values()) {
            if (program != null && s.services().stream().noneMatch(p -> p.programName().equals(program))) {
                continue;
            }
            String value = settings.value(s).map(v -> v.value().isEmpty() ? "\"\"" : s.shown(v.value()))
                    .orElse("(" + s.defaultText() + ")");
            String origin = settings.value(s).map(v -> v.origin().toString()).orElse("default");
            rows.add(new String[] {s.key(), value, origin,
                    s.services().stream().map(Service::programName).collect(Collectors.joining(","))});
        }
        if (rows.size() == 1) {
            spec.commandLine().getErr().println("tmictl: error: no program is named '" + program + "'");
            spec.commandLine().getErr().println("tmictl: hint: name tmidbd, tmictl, tmidb-worker or tmidb-gateway");
            return ExitCodes.USAGE;
        }
        int[] width = new int[3];
        for (String[] row : rows) {
            for (int i = 0; i < width.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        for (String[] row : rows) {
            out.println(String.format("%-" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %s", (Object[]) row).stripTrailing());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
