// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code tmidb.conf}: lines {@code key = value} (a value may be quoted with ' or "), {@code #}
 * starts a comment. Every key of every program may be in it; a key no program knows is refused.
 * Which file: {@code --config}, else {@code $TMIDB_CONFIG}, else {@value #SYSTEM_FILE} when it exists.
 */
public final class ConfigFile {
    public static final String SYSTEM_FILE = "/etc/tmidb/tmidb.conf";
    /** The variable naming the file (not a setting itself: it says where the settings are). */
    public static final String ENV = "TMIDB_CONFIG";

    /** A value and the line it is on. */
    public record Entry(String value, int line) {
    }

    private final Path path;
    private final Map<Setting, Entry> entries;

    private ConfigFile(Path path, Map<Setting, Entry> entries) {
        this.path = path;
        this.entries = entries;
    }

    /**
     * The file a program reads: {@code configured} (its --config), else the one {@link #ENV} names,
     * else {@value #SYSTEM_FILE} when it exists; none otherwise. A file named but missing fails.
     */
    public static Optional<ConfigFile> locate(Optional<Path> configured, Function<String, String> env) {
        Optional<Path> named = configured.or(() -> Optional.ofNullable(env.apply(ENV)).filter(s -> !s.isEmpty()).map(Path::of));
        if (named.isPresent()) {
            return Optional.of(read(named.get()));
        }
        Path system = Path.of(SYSTEM_FILE);
        return Files.exists(system) ? Optional.of(read(system)) : Optional.empty();
    }

    public static ConfigFile read(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path);
        } catch (IOException e) {
            throw new SettingsException("cannot read the configuration file " + path + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() != null && !e.getMessage().equals(path.toString()) ? ": " + e.getMessage() : "") + ")", e);
        }
        Map<Setting, Entry> entries = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).replaceFirst("#.*$", "").strip();
            String where = path + " line " + (n + 1);
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new SettingsException(where + ": expected key = value");
            }
            String key = line.substring(0, eq).strip();
            Setting setting = Setting.byKey(key).orElseThrow(() -> new SettingsException(where
                    + ": unknown key '" + key + "' (tmictl config lists every key)"));
            String value = line.substring(eq + 1).strip().replaceAll("^'(.*)'$", "$1").replaceAll("^\"(.*)\"$", "$1");
            entries.put(setting, new Entry(value, n + 1));
        }
        return new ConfigFile(path, Map.copyOf(entries));
    }

    public Path path() {
        return path;
    }

    public Optional<Entry> entry(Setting setting) {
        return Optional.ofNullable(entries.get(setting));
    }
}
