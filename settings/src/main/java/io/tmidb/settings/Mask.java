// SPDX-License-Identifier: MIT
package io.tmidb.settings;

/** How a setting's value is shown (in errors, logs, {@code tmictl config}): secrets never appear. */
public enum Mask {
    /** Shown as it is. */
    NONE,
    /** A secret: shown as {@code ****} when set. */
    ALL,
    /** A URL (or list of URLs) that may carry credentials: user:password@ and password= parameters are hidden. */
    CREDENTIALS;

    public String apply(String value) {
        return switch (this) {
            case NONE -> value;
            case ALL -> value.isEmpty() ? "" : "****";
            case CREDENTIALS -> value.replaceAll("://[^,/@\\s]+@", "://***@").replaceAll("(?i)(password=)[^&,\\s]*", "$1***");
        };
    }
}
