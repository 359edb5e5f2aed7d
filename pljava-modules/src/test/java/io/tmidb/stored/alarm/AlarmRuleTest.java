// SPDX-License-Identifier: MIT
package io.tmidb.stored.alarm;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AlarmRuleTest {
    @Test
    void hysteresisForUpperAndLowerThresholds() {
        AlarmRule hot = new AlarmRule(1, "temp", ">", 90, 85.0, Duration.ZERO);
        assertTrue(hot.holds(90.5));
        assertFalse(hot.holds(90));
        assertFalse(hot.clears(86));
        assertTrue(hot.clears(84.9));
        AlarmRule low = new AlarmRule(2, "level", "<=", 20, 25.0, Duration.ZERO);
        assertTrue(low.holds(20));
        assertFalse(low.clears(24));
        assertTrue(low.clears(25.1));
    }

    @Test
    void aReadingAtClearAtClears() {
        assertTrue(new AlarmRule(4, "temp", ">", 90, 85.0, Duration.ZERO).clears(85));
        AlarmRule low = new AlarmRule(5, "level", "<", 3, 5.0, Duration.ZERO);
        assertFalse(low.clears(4.9));
        assertTrue(low.clears(5));
    }

    @Test
    void withoutClearAtAnAlarmClearsWhenTheConditionFails() {
        AlarmRule eq = new AlarmRule(3, "state", "=", 3, null, Duration.ZERO);
        assertTrue(eq.holds(3));
        assertTrue(eq.clears(2));
        assertFalse(eq.clears(3));
    }
}
