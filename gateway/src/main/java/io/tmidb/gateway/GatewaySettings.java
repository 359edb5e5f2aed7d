// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.settings.Service;
import io.tmidb.settings.Settings;
import io.tmidb.settings.Sources;

import java.util.Map;

/**
 * The gateway's settings: the keys of {@link io.tmidb.settings.Setting} that tmidb-gateway reads,
 * resolved and checked once (see {@link Settings}); a malformed value fails at construction.
 */
public final class GatewaySettings extends Settings {
    public GatewaySettings(Sources sources) {
        super(Service.GATEWAY, sources);
    }

    /** Settings from {@code explicit} values over the process environment, without a file (tests, benchmarks). */
    public static GatewaySettings of(Map<String, String> explicit) {
        return new GatewaySettings(Sources.of(explicit));
    }
}
