// SPDX-License-Identifier: MIT
package io.tmidb.settings;

/**
 * A setting that cannot be used: an unknown key, a malformed file line or a value breaking its
 * setting's rule. The message is one line naming the key and where the value came from, with
 * secrets masked; programs print it as it is, without a stack trace.
 */
public final class SettingsException extends IllegalArgumentException {
    public SettingsException(String message) {
        super(message);
    }

    public SettingsException(String message, Throwable cause) {
        super(message, cause);
    }
}
