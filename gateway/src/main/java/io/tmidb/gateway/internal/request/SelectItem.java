// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

/** One item of {@code select=}: {@code *}, or {@code [alias:]field[::cast]}. */
public record SelectItem(boolean star, String alias, FieldRef field, String cast) {
    public static SelectItem all() {
        return new SelectItem(true, null, null, null);
    }

    public String outputName() {
        return alias != null ? alias : field.defaultAlias();
    }
}
