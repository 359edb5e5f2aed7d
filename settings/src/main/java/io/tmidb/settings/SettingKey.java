// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.util.Locale;

/** One setting of a service's registry (an enum constant). */
public interface SettingKey {
    /** What a setting is: its kebab-case name, its default and what it means. */
    record Spec(String name, String defaultValue, String description) {
    }

    Spec spec();

    default String settingName() {
        return spec().name();
    }

    default String description() {
        return spec().description();
    }

    /** {@code TMIDB_<NAME>}, upper case with '-' as '_'. */
    default String envName() {
        return "TMIDB_" + spec().name().toUpperCase(Locale.ROOT).replace('-', '_');
    }
}
