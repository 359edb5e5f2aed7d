// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.launcher.cluster.ClusterException;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where an option's value comes from when the command line does not give it: the environment
 * variable {@code TMIDB_<KEY>}, then the configuration file, then the option's built-in default.
 * The file is {@code $TMIDB_CONFIG}, else {@value #SYSTEM_FILE} when it exists; lines are
 * {@code key = value} with the options' long names as keys, {@code #} starts a comment.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
    static final String SYSTEM_FILE = "/etc/tmidb/tmidb.conf";
    /** Every key the file may hold: the long options of tmidbd and tmictl. */
    static final Set<String> KEYS = new TreeSet<>(List.of("data-dir", "port", "database", "os-user", "pg-bindir",
            "nats-url", "gateway-port",
            "s3-endpoint", "s3-region", "s3-bucket", "s3-access-key", "s3-secret-key", "s3-path-style", "s3-port"));

    private final Map<String, String> file;
    private final Map<String, String> env;

    ConfigDefaults(Map<String, String> env) {
        this.env = env;
        String configured = env.get("TMIDB_CONFIG");
        Path path = Path.of(configured != null ? configured : SYSTEM_FILE);
        this.file = configured != null || Files.exists(path) ? read(path) : Map.of();
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !option.longestName().startsWith("--")) {
            return null;
        }
        String key = option.longestName().substring(2);
        String fromEnv = env.get(envName(key));
        return fromEnv != null ? fromEnv : file.get(key);
    }

    static String envName(String key) {
        return "TMIDB_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    static Map<String, String> read(Path path) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(path);
        } catch (IOException e) {
            throw new ClusterException("cannot read the configuration file " + path + ": " + e,
                    "Create it, or point TMIDB_CONFIG at an existing file.", e);
        }
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).replaceFirst("#.*$", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq).strip();
            if (eq < 0 || !KEYS.contains(key)) {
                throw new ClusterException(path + " line " + (n + 1) + ": " + (eq < 0 ? "expected key = value" : "unknown key '" + key + "'"),
                        "Keys are " + String.join(", ", KEYS) + ".");
            }
            values.put(key, line.substring(eq + 1).strip().replaceAll("^'(.*)'$", "$1").replaceAll("^\"(.*)\"$", "$1"));
        }
        return values;
    }
}
