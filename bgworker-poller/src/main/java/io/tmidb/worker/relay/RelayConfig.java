// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.tmidb.worker.WorkerSettings;
import io.tmidb.worker.WorkerSettings.Key;

import java.time.Duration;

/**
 * The relay's settings, validated when read so that a bad value stops the relay with the setting's
 * name instead of failing later. An empty {@code natsUrl} turns the relay off.
 */
public record RelayConfig(String natsUrl, String stream, String cursor, int window, Duration ackTimeout,
                          Duration duplicateWindow, Duration maxBackoff, Duration sweepInterval) {

    public RelayConfig {
        // one server or a comma-separated list, each nats:// or tls://, maybe user:password@, host and port
        String one = "(?:nats|tls)://(?:[^\\s,/@]+@)?[^\\s,/:@]+:[0-9]{1,5}";
        if (!natsUrl.isEmpty() && !natsUrl.matches(one + "(?:," + one + ")*")) {
            throw new IllegalArgumentException(Key.NATS_URL.settingName() + " must be like nats://127.0.0.1:4222 (or a"
                    + " comma-separated list of such), or empty to turn the relay off; got '" + masked(natsUrl) + "'");
        }
        if (!stream.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException(Key.RELAY_STREAM.settingName() + " must be 1-64 letters, digits, '_' or '-', got '" + stream + "'");
        }
        if (!cursor.matches("[a-z][a-z0-9_-]{0,62}")) {
            throw new IllegalArgumentException(Key.RELAY_CURSOR.settingName()
                    + " must be lower-case letters, digits, '_' or '-', starting with a letter, got '" + cursor + "'");
        }
        if (window < 1 || window > 100_000) {
            throw new IllegalArgumentException(Key.RELAY_WINDOW.settingName() + " must lie in [1, 100000], got " + window);
        }
        requirePositive(ackTimeout, Key.RELAY_ACK_TIMEOUT);
        requirePositive(duplicateWindow, Key.RELAY_DUPLICATE_WINDOW);
        requirePositive(maxBackoff, Key.RELAY_MAX_BACKOFF);
        requirePositive(sweepInterval, Key.SWEEP_INTERVAL);
    }

    /** The relay's settings from the worker's registry. */
    public static RelayConfig from(WorkerSettings s) {
        return new RelayConfig(s.get(Key.NATS_URL).trim(), s.get(Key.RELAY_STREAM), s.get(Key.RELAY_CURSOR),
                s.getInt(Key.RELAY_WINDOW), s.getDuration(Key.RELAY_ACK_TIMEOUT), s.getDuration(Key.RELAY_DUPLICATE_WINDOW),
                s.getDuration(Key.RELAY_MAX_BACKOFF), s.getDuration(Key.SWEEP_INTERVAL));
    }

    /** The URL as logs show it: without credentials. */
    public String shownUrl() {
        return masked(natsUrl);
    }

    private static String masked(String url) {
        return url.replaceAll("://[^,/@]+@", "://***@");
    }

    public boolean enabled() {
        return !natsUrl.isEmpty();
    }

    private static void requirePositive(Duration d, Key key) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key.settingName() + " must be a positive duration, got " + d);
        }
    }
}
