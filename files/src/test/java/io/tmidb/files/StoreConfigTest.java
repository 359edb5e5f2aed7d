// SPDX-License-Identifier: MIT
package io.tmidb.files;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreConfigTest {
    private static StoreConfig config(String endpoint, String bucket, String access, String secret) {
        return new StoreConfig(URI.create(endpoint), "us-east-1", bucket, access, secret, true);
    }

    @Test
    void refusesWhatNoStoreAccepts() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config("ftp://host", "tmidb", "a", "s")).getMessage()
                .contains("s3-endpoint must be an http:// or https:// URL"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config("http://host:9000", "Bad_Bucket", "a", "s")).getMessage()
                .contains("s3-bucket"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config("http://host:9000", "tmidb", "a", "")).getMessage()
                .contains("s3-access-key and s3-secret-key"));
    }

    @Test
    void neverShowsTheSecret() {
        StoreConfig c = config("http://127.0.0.1:9010/ignored?x=1", "tmidb", "tmidb-abc", "very-secret-value");
        assertFalse(c.toString().contains("very-secret-value"), c.toString());
        assertEquals("http://127.0.0.1:9010", c.where());
    }

    @Test
    void spellsSha256AsS3Does() {
        String hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assertEquals("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=", Sha256.hexToBase64(hex));
        assertEquals(hex, Sha256.base64ToHex(Sha256.hexToBase64(hex)));
        assertEquals(hex, Sha256.hex(Sha256.digest().digest("test".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }
}
