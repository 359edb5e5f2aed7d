// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.connector.FetchPolicy;
import io.tmidb.worker.WorkerSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connector settings of the worker's registry and the fetch policy they make. */
class ConnectorSettingsTest {

    @Test
    void defaultsRefusePrivateAddresses() {
        FetchPolicy p = ConnectorScheduler.policy(WorkerSettings.of(Map.of()));
        // the environment could override a default; these tests run without TMIDB_CONNECTOR_* set
        if (System.getenv().keySet().stream().noneMatch(k -> k.startsWith("TMIDB_CONNECTOR_"))) {
            assertEquals(FetchPolicy.defaults(), p);
        }
        assertEquals(Duration.ofSeconds(30), FetchPolicy.defaults().readTimeout());
        assertEquals(false, FetchPolicy.defaults().allowPrivate());
    }

    @Test
    void settingsMakeThePolicy() {
        FetchPolicy p = ConnectorScheduler.policy(WorkerSettings.of(Map.of("connector-allow-private", "TRUE",
                "connector-allowed-addresses", " 10.0.0.5, ::1 ,", "connector-connect-timeout", "PT2S",
                "connector-read-timeout", "PT3S", "connector-max-body-bytes", "1024", "connector-max-redirects", "0")));
        assertEquals(new FetchPolicy(Duration.ofSeconds(2), Duration.ofSeconds(3), 1024, 0, true, Set.of("10.0.0.5", "::1")), p);
    }

    @Test
    void badValuesFailWithTheSettingsName() {
        Map<String, String> bad = Map.of("connector-allow-private", "yes", "connector-max-body-bytes", "0",
                "connector-max-redirects", "99", "connector-read-timeout", "30s");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> ConnectorScheduler.policy(WorkerSettings.of(Map.of(e.getKey(), e.getValue()))), e.toString());
            assertTrue(x.getMessage().contains(e.getKey().replace("connector-", "").replace('-', ' '))
                    || x.getMessage().contains(e.getKey()), x.getMessage());
        }
    }
}
