// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of one program, resolved once: each value from the command line, else
 * {@code TMIDB_<KEY>}, else {@code tmidb.conf}, else the default, with where it came from. Every
 * value given is checked against its setting's type and rule when resolving, so a bad one stops
 * the program at start with one line naming the key and its origin ({@link SettingsException});
 * a command-line key the program does not read is refused the same way.
 */
public class Settings {
    /** A resolved value and its origin. */
    public record Value(String value, Origin origin) {
    }

    private final Service service;
    private final Map<Setting, Value> values;

    protected Settings(Service service, Sources sources) {
        this.service = service;
        for (String key : sources.commandLine().keySet()) {
            if (Setting.byKey(key).filter(s -> s.readBy(service)).isEmpty()) {
                throw new SettingsException("unknown " + service.programName() + " setting '" + key + "'; known: "
                        + java.util.Arrays.stream(Setting.values()).filter(s -> s.readBy(service)).map(Setting::key).toList());
            }
        }
        Map<Setting, Value> resolved = new EnumMap<>(Setting.class);
        for (Setting s : Setting.values()) {
            resolve(s, sources).ifPresent(v -> {
                if (!(v.origin() instanceof Origin.Default)) {
                    s.problem(v.value()).ifPresent(problem -> {
                        throw new SettingsException(s.key() + " " + problem + ", got '" + s.shown(v.value()) + "' (" + v.origin() + ")");
                    });
                }
                resolved.put(s, v);
            });
        }
        this.values = resolved;
    }

    /** The settings {@code service} resolves from {@code sources}. */
    public static Settings resolve(Service service, Sources sources) {
        return new Settings(service, sources);
    }

    private static Optional<Value> resolve(Setting s, Sources sources) {
        String cli = sources.commandLine().get(s.key());
        if (cli != null) {
            return Optional.of(new Value(cli, Origin.COMMAND_LINE));
        }
        String env = sources.env().apply(s.envName());
        if (env != null) {
            return Optional.of(new Value(env, new Origin.Environment(s.envName())));
        }
        Optional<Value> file = sources.file().flatMap(f -> f.entry(s).map(e -> new Value(e.value(), new Origin.File(f.path(), e.line()))));
        return file.or(() -> s.defaultValue().map(d -> new Value(d, Origin.DEFAULT)));
    }

    public Service service() {
        return service;
    }

    /** Any setting's value and origin, whichever program reads it; empty when neither given nor defaulted. */
    public Optional<Value> value(Setting s) {
        return Optional.ofNullable(values.get(s));
    }

    /**
     * The values given on this program's command line that {@code other} reads, as options
     * {@code --key=value}: what a program passes on to one it starts, which resolves the rest
     * (environment, file) itself, so that each value keeps its origin.
     */
    public List<String> commandLineFor(Service other) {
        return values.entrySet().stream()
                .filter(e -> e.getValue().origin() instanceof Origin.CommandLine && e.getKey().readBy(other))
                .map(e -> "--" + e.getKey().key() + "=" + e.getValue().value()).toList();
    }

    /**
     * The values of this program's settings that were given rather than defaulted, masked, each
     * with its origin: what a program logs when it starts, e.g.
     * {@code connector-allow-private=true (/etc/tmidb/tmidb.conf:3), db-password=**** (environment TMIDB_DB_PASSWORD)}.
     */
    public String given() {
        return values.entrySet().stream()
                .filter(e -> e.getKey().readBy(service) && !(e.getValue().origin() instanceof Origin.Default))
                .map(e -> e.getKey().key() + "=" + e.getKey().shown(e.getValue().value()) + " (" + e.getValue().origin() + ")")
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** A setting of this program without a built-in default: empty when not given. */
    public Optional<String> find(Setting s) {
        return value(own(s)).map(Value::value);
    }

    public String get(Setting s) {
        return find(s).orElseThrow(() -> new SettingsException(s.key() + " is not set"));
    }

    public int getInt(Setting s) {
        return Math.toIntExact(getLong(s));
    }

    public long getLong(Setting s) {
        return ValueType.integer(get(typed(s, ValueType.INTEGER)));
    }

    public boolean getBoolean(Setting s) {
        return ValueType.bool(get(typed(s, ValueType.BOOLEAN)));
    }

    public Duration getDuration(Setting s) {
        return ValueType.duration(get(typed(s, ValueType.DURATION)));
    }

    /** A comma-separated setting's items, stripped, empty ones dropped. */
    public List<String> getList(Setting s) {
        return ValueType.list(get(typed(s, ValueType.LIST)));
    }

    private Setting own(Setting s) {
        if (!s.readBy(service)) {
            throw new IllegalArgumentException(s.key() + " is not a setting of " + service.programName());
        }
        return s;
    }

    private static Setting typed(Setting s, ValueType type) {
        if (s.type() != type) {
            throw new IllegalArgumentException(s.key() + " is a " + s.type() + " setting, not " + type);
        }
        return s;
    }
}
