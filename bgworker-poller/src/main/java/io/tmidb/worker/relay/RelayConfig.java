// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.tmidb.settings.Setting;
import io.tmidb.worker.WorkerSettings;

import java.time.Duration;

/**
 * The relay's settings. Their rules are those of {@link Setting}, checked when the worker's
 * settings are resolved, so a bad value stops the worker at start with the setting's name. An
 * empty {@code natsUrl} turns the relay off.
 */
public record RelayConfig(String natsUrl, String stream, String cursor, int window, Duration ackTimeout,
                          Duration duplicateWindow, int replicas, Duration maxBackoff, Duration sweepInterval) {

    /** The relay's settings from the worker's registry. */
    public static RelayConfig from(WorkerSettings s) {
        return new RelayConfig(s.get(Setting.NATS_URL).trim(), s.get(Setting.RELAY_STREAM), s.get(Setting.RELAY_CURSOR),
                s.getInt(Setting.RELAY_WINDOW), s.getDuration(Setting.RELAY_ACK_TIMEOUT), s.getDuration(Setting.RELAY_DUPLICATE_WINDOW),
                s.getInt(Setting.RELAY_STREAM_REPLICAS), s.getDuration(Setting.RELAY_MAX_BACKOFF), s.getDuration(Setting.SWEEP_INTERVAL));
    }

    /** The URL as logs show it: without credentials. */
    public String shownUrl() {
        return Setting.NATS_URL.shown(natsUrl);
    }

    public boolean enabled() {
        return !natsUrl.isEmpty();
    }
}
