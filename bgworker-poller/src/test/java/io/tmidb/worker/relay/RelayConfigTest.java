// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.tmidb.worker.WorkerSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RelayConfigTest {

    @Test
    void defaults() {
        RelayConfig c = RelayConfig.from(WorkerSettings.of(Map.of("nats-url", "nats://127.0.0.1:4222")));
        assertEquals("TMI", c.stream());
        assertEquals("nats", c.cursor());
        assertEquals(1000, c.window());
        assertEquals(Duration.ofMinutes(2), c.duplicateWindow());
        assertEquals(1, c.replicas());
        assertTrue(c.enabled());
    }

    @Test
    void severalServersMayBeNamed() {
        assertTrue(RelayConfig.from(WorkerSettings.of(Map.of("nats-url", "nats://10.0.0.1:4222,tls://nats.example:4443"))).enabled());
    }

    @Test
    void credentialsAreNotShown() {
        RelayConfig c = RelayConfig.from(WorkerSettings.of(Map.of("nats-url", "nats://relay:s3cret@127.0.0.1:4222")));
        assertEquals("nats://***@127.0.0.1:4222", c.shownUrl());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RelayConfig.from(WorkerSettings.of(Map.of("nats-url", "nats://relay:s3cret@127.0.0.1"))));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void anEmptyUrlTurnsTheRelayOff() {
        assertFalse(RelayConfig.from(WorkerSettings.of(Map.of("nats-url", " "))).enabled());
    }

    @Test
    void badValuesNameTheSetting() {
        assertMessage("nats-url", Map.of("nats-url", "localhost"));
        assertMessage("nats-url", Map.of("nats-url", "http://127.0.0.1:4222"));
        assertMessage("relay-window", Map.of("relay-window", "0"));
        assertMessage("relay-window", Map.of("relay-window", "many"));
        assertMessage("relay-stream", Map.of("relay-stream", "tmi.events"));
        assertMessage("relay-cursor", Map.of("relay-cursor", "Nats"));
        assertMessage("relay-ack-timeout", Map.of("relay-ack-timeout", "PT0S"));
        assertMessage("relay-max-backoff", Map.of("relay-max-backoff", "soon"));
        assertMessage("relay-stream-replicas", Map.of("relay-stream-replicas", "0"));
        assertMessage("relay-stream-replicas", Map.of("relay-stream-replicas", "6"));
    }

    private static void assertMessage(String setting, Map<String, String> values) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RelayConfig.from(WorkerSettings.of(values)));
        assertTrue(e.getMessage().startsWith(setting + " must"), e.getMessage());
    }
}
