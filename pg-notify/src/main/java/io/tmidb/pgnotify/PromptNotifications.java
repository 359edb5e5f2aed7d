// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import java.util.Properties;

/**
 * Makes pgjdbc deliver LISTEN notifications without its extra millisecond.
 * <p>After {@code PGConnection.getNotifications(timeout)} has read a notification, pgjdbc checks
 * whether more are pending by reading the socket with a 1 ms timeout, which nearly always expires:
 * every wake-up comes 1 ms late, as much again as the whole NOTIFY round trip on a local
 * server. Connections opened with {@link #configure} use {@link PromptSocketFactory}, whose
 * sockets answer that check at once from what the kernel has buffered. Nothing else changes:
 * reads with any other timeout, or none, behave as before.
 */
public final class PromptNotifications {
    private PromptNotifications() {
    }

    /** Adds the setting to the properties of a pgjdbc connection that will wait for notifications. */
    public static Properties configure(Properties connectionProperties) {
        connectionProperties.setProperty("socketFactory", PromptSocketFactory.class.getName());
        return connectionProperties;
    }
}
