// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A service's settings: a value comes from the explicit map (command line or test), else the
 * environment variable {@code TMIDB_<KEY>}, else the key's default. Unknown explicit keys fail at
 * construction; a malformed value fails when read, naming the key.
 */
public class Settings<K extends Enum<K> & SettingKey> {
    private final Map<String, String> explicit;
    private final Function<String, String> env;

    protected Settings(Class<K> keys, String service, Map<String, String> explicit, Function<String, String> env) {
        this.explicit = Map.copyOf(explicit);
        this.env = env;
        for (String name : explicit.keySet()) {
            if (Arrays.stream(keys.getEnumConstants()).noneMatch(k -> k.settingName().equals(name))) {
                throw new IllegalArgumentException("unknown " + service + " setting '" + name + "'; known: "
                        + Arrays.stream(keys.getEnumConstants()).map(SettingKey::settingName).toList());
            }
        }
    }

    public String get(K key) {
        return Optional.ofNullable(explicit.get(key.settingName())).or(() -> Optional.ofNullable(env.apply(key.envName())))
                .orElse(key.spec().defaultValue());
    }

    public int getInt(K key) {
        return Math.toIntExact(getLong(key));
    }

    public long getLong(K key) {
        try {
            return Long.parseLong(get(key).strip());
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(key.settingName() + " must be an integer, got '" + get(key) + "'", e);
        }
    }

    public boolean getBoolean(K key) {
        String v = get(key).strip().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key.settingName() + " must be true or false, got '" + get(key) + "'");
        }
        return v.equals("true");
    }

    public Duration getDuration(K key) {
        try {
            return Duration.parse(get(key).strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(key.settingName() + " must be an ISO-8601 duration such as PT5S, got '"
                    + get(key) + "'", e);
        }
    }
}
