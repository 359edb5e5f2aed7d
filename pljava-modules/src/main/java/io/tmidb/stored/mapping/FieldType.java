// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.util.Locale;

/** The type a mapping rule gives a field; values are converted to it or the item fails. */
public enum FieldType {
    NUMBER, INTEGER, TEXT, BOOLEAN, TIMESTAMP;

    static FieldType of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
