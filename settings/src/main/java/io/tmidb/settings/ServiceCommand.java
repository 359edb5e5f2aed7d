// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The command line of a program that runs on its settings alone (tmidb-worker, the gateway): one
 * option {@code --KEY=VALUE} per setting the program reads, made from {@link Setting}, plus
 * {@code --config FILE} and {@code --help}. A bad option or value is one line on standard error
 * and exit code 2; the program's work gets the {@link Sources} the command line names.
 */
public final class ServiceCommand {
    public static final int USAGE = 2;

    /** What the program does with its settings; answers the exit code. */
    @FunctionalInterface
    public interface Body {
        int run(Sources sources) throws Exception;
    }

    private ServiceCommand() {
    }

    /** The command line of {@code service}; {@code env} is the environment (a test's own, or the process's). */
    public static CommandLine commandLine(Service service, String description, Function<String, String> env, Body body) {
        CommandSpec spec = CommandSpec.create().name(service.programName());
        spec.usageMessage().description(description,
                "Each setting may also come from its environment variable or the configuration file; the command line wins.");
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help and exit.").build());
        spec.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(Path.class)
                .description("The configuration file (default: $" + ConfigFile.ENV + ", else " + ConfigFile.SYSTEM_FILE
                        + " when it exists).").build());
        for (Setting s : Setting.values()) {
            if (s.readBy(service)) {
                spec.addOption(OptionSpec.builder("--" + s.key()).paramLabel(s.type().label()).type(String.class)
                        .description(s.help()).build());
            }
        }
        CommandLine cmd = new CommandLine(spec);
        String prog = service.programName();
        cmd.setParameterExceptionHandler((e, args) -> {
            e.getCommandLine().getErr().println(prog + ": error: " + e.getMessage() + " (see " + prog + " --help)");
            return USAGE;
        });
        cmd.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                return help;
            }
            try {
                return body.run(sources(parsed, env));
            } catch (SettingsException e) {
                cmd.getErr().println(prog + ": error: " + e.getMessage());
                return USAGE;
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new CommandLine.ExecutionException(cmd, prog + ": " + e, e);
            }
        });
        return cmd;
    }

    private static Sources sources(ParseResult parsed, Function<String, String> env) {
        Map<String, String> given = new HashMap<>();
        Optional<Path> config = Optional.empty();
        for (OptionSpec option : parsed.matchedOptions()) {
            if (option.longestName().equals("--config")) {
                config = Optional.of(option.getValue());
            } else {
                given.put(option.longestName().substring(2), option.getValue());
            }
        }
        return new Sources(given, env, ConfigFile.locate(config, env));
    }
}
