// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {
    enum Key implements SettingKey {
        BATCH_SIZE("batch-size", "500", "how many"), SWEEP("sweep-interval", "PT5S", "how often"), ON("on", "false", "whether");

        private final Spec spec;

        Key(String name, String defaultValue, String description) {
            spec = new Spec(name, defaultValue, description);
        }

        @Override
        public Spec spec() {
            return spec;
        }
    }

    static final class TestSettings extends Settings<Key> {
        TestSettings(Map<String, String> explicit, Map<String, String> env) {
            super(Key.class, "test", explicit, env::get);
        }
    }

    @Test
    void explicitThenEnvironmentThenDefault() {
        TestSettings s = new TestSettings(Map.of("batch-size", "20"), Map.of("TMIDB_BATCH_SIZE", "30", "TMIDB_SWEEP_INTERVAL", "PT1S"));
        assertEquals(20, s.getInt(Key.BATCH_SIZE));
        assertEquals(Duration.ofSeconds(1), s.getDuration(Key.SWEEP));
        assertFalse(s.getBoolean(Key.ON));
        assertEquals("TMIDB_SWEEP_INTERVAL", Key.SWEEP.envName());
    }

    @Test
    void unknownKeysAndMalformedValuesNameTheKey() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> new TestSettings(Map.of("batch", "1"), Map.of()));
        assertTrue(unknown.getMessage().contains("unknown test setting 'batch'"), unknown.getMessage());
        TestSettings bad = new TestSettings(Map.of("batch-size", "many", "sweep-interval", "5s", "on", "yes"), Map.of());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bad.getInt(Key.BATCH_SIZE)).getMessage().startsWith("batch-size"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bad.getDuration(Key.SWEEP)).getMessage().startsWith("sweep-interval"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bad.getBoolean(Key.ON)).getMessage().startsWith("on"));
    }
}
