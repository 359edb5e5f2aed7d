// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.settings.ConfigFile;
import io.tmidb.settings.Service;
import io.tmidb.settings.Setting;
import io.tmidb.settings.Settings;
import io.tmidb.settings.SettingsException;
import io.tmidb.settings.Sources;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.util.HashMap;
import java.util.ListResourceBundle;
import java.util.Map;
import java.util.Optional;
import java.util.ResourceBundle;
import java.util.function.Function;

/**
 * tmidbd's and tmictl's options through the settings engine ({@link Settings}): an option whose
 * long name is a key of {@link Setting} takes, when the command line does not give it, the value
 * of {@code TMIDB_<KEY>}, else of tmidb.conf ({@code $TMIDB_CONFIG}, else
 * {@value ConfigFile#SYSTEM_FILE} when it exists), else the setting's default; its help text is
 * the setting's. A file or value that cannot be used is reported before the command runs, in one
 * line (see {@link ExitCodes}).
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
    private final Service service;
    private final Function<String, String> env;
    private Optional<ConfigFile> file;

    ConfigDefaults(Service service, Function<String, String> env) {
        this.service = service;
        this.env = env;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        Optional<Setting> setting = setting(arg);
        if (setting.isEmpty()) {
            return null;
        }
        try {
            return resolve(Map.of()).value(setting.get()).map(Settings.Value::value).orElse(null);
        } catch (SettingsException e) {
            return null; // reported by check() before the command runs
        }
    }

    /** The settings of the command being run: its command line over the environment, the file and the defaults. */
    Settings resolve(ParseResult parsed) {
        Map<String, String> given = new HashMap<>();
        for (OptionSpec option : parsed.matchedOptions()) {
            setting(option).ifPresent(s -> given.put(s.key(), String.join(",", option.stringValues())));
        }
        return resolve(given);
    }

    private Settings resolve(Map<String, String> commandLine) {
        if (file == null) {
            file = ConfigFile.locate(Optional.empty(), env);
        }
        return Settings.resolve(service, new Sources(commandLine, env, file));
    }

    /** The settings the running subcommand of {@code spec} resolved. */
    static Settings of(CommandSpec spec) {
        return ((ConfigDefaults) spec.defaultValueProvider()).resolve(spec.commandLine().getParseResult());
    }

    /** The settings' help lines, looked up by picocli under each option's long name. */
    static ResourceBundle descriptions() {
        Object[][] lines = new Object[Setting.values().length][];
        for (Setting s : Setting.values()) {
            lines[s.ordinal()] = new Object[] {s.key(), s.help()};
        }
        return new ListResourceBundle() {
            @Override
            protected Object[][] getContents() {
                return lines;
            }
        };
    }

    private static Optional<Setting> setting(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !option.longestName().startsWith("--")) {
            return Optional.empty();
        }
        return Setting.byKey(option.longestName().substring(2));
    }
}
