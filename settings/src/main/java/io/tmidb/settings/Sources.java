// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where a program's settings come from, in order of precedence: its command line ({@code key →
 * value}), the environment ({@code TMIDB_<KEY>}), the configuration file, the defaults.
 */
public record Sources(Map<String, String> commandLine, Function<String, String> env, Optional<ConfigFile> file) {
    public Sources {
        commandLine = Map.copyOf(commandLine);
    }

    /** {@code explicit} values over the process environment, without a file (tests and benchmarks). */
    public static Sources of(Map<String, String> explicit) {
        return new Sources(explicit, System::getenv, Optional.empty());
    }
}
