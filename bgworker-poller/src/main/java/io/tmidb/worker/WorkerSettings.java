// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.settings.Service;
import io.tmidb.settings.Settings;
import io.tmidb.settings.Sources;

import java.util.Map;

/**
 * The worker's settings: the keys of {@link io.tmidb.settings.Setting} that tmidb-worker reads,
 * resolved and checked once (see {@link Settings}).
 */
public final class WorkerSettings extends Settings {
    public WorkerSettings(Sources sources) {
        super(Service.WORKER, sources);
    }

    /** Settings from {@code explicit} values over the process environment, without a file (tests, benchmarks). */
    public static WorkerSettings of(Map<String, String> explicit) {
        return new WorkerSettings(Sources.of(explicit));
    }
}
