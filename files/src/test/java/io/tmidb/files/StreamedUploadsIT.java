// SPDX-License-Identifier: MIT
package io.tmidb.files;

import io.tmidb.testkit.S3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Streamed uploads into the real embedded store (S3Proxy), with limits small enough that bodies of
 * a few MiB take both ways: one PUT, and a multipart upload of streamed parts. What was stored is
 * read back; a wrong hash, a short body and a body that fails leave no object.
 */
@Timeout(120)
class StreamedUploadsIT {
    private static final long SINGLE_PUT_MAX = 6 << 20;
    /** S3's smallest part but the last. */
    private static final long PART = 5 << 20;
    private static final Duration TTL = Duration.ofMinutes(5);
    private static S3Server s3;
    private static ObjectStore store;

    @BeforeAll
    static void start() {
        s3 = S3Server.startNew();
        store = new ObjectStore(new StoreConfig(URI.create(s3.endpoint()), "us-east-1", "tmidb", s3.accessKey(), s3.secretKey(), true),
                SINGLE_PUT_MAX, PART);
        store.ensureBucket();
    }

    @AfterAll
    static void stop() throws IOException {
        store.close();
        s3.close();
    }

    @Test
    void aBodyUpToTheSinglePutLimitIsOnePutWithItsChecksumKept() throws IOException {
        byte[] body = bytes((int) SINGLE_PUT_MAX, 1);
        Stored stored = store.upload("one/put", "application/octet-stream", new ByteArrayInputStream(body), body.length, sha256(body), TTL);
        assertEquals(new Stored(body.length, sha256(body), "stream"), stored);
        assertArrayEquals(body, readBack("one/put"));
        assertEquals(sha256(body), store.head("one/put").orElseThrow().sha256(), "the store kept the signed checksum");
    }

    @Test
    void aLongerBodyGoesInStreamedParts() throws IOException {
        byte[] body = bytes((int) (2 * PART + 12345), 2); // three parts, the last a short one
        Stored stored = store.upload("in/parts", "video/mp4", new ByteArrayInputStream(body), body.length, sha256(body), TTL);
        assertEquals(new Stored(body.length, sha256(body), "stream"), stored);
        assertArrayEquals(body, readBack("in/parts"));
    }

    @Test
    void aWrongHashIsRefusedWithBothValuesAndStoresNothing() {
        for (int size : new int[] {1000, (int) (PART + 1000)}) {
            byte[] body = bytes(size, 3);
            String declared = sha256(bytes(size, 4));
            FileException e = assertThrows(FileException.class, () -> store.upload("wrong/" + size, "text/plain",
                    new ByteArrayInputStream(body), body.length, declared, TTL));
            assertEquals(FileException.Code.HASH_MISMATCH, e.code());
            assertTrue(e.getMessage().contains(sha256(body)) && e.getMessage().contains(declared), e::getMessage);
            assertTrue(store.head("wrong/" + size).isEmpty(), "no object for a refused body of " + size + " bytes");
        }
    }

    @Test
    void aShortBodyIsRefusedAsTheWrongSizeAndStoresNothing() {
        for (int size : new int[] {1000, (int) (PART + 1000)}) {
            byte[] body = bytes(size, 5);
            byte[] declared = Arrays.copyOf(body, size + 10);
            FileException e = assertThrows(FileException.class, () -> store.upload("short/" + size, "text/plain",
                    new ByteArrayInputStream(body), declared.length, sha256(declared), TTL));
            assertEquals(FileException.Code.SIZE_MISMATCH, e.code());
            assertTrue(e.getMessage().contains(size + " bytes, " + declared.length + " were declared"), e::getMessage);
            assertTrue(store.head("short/" + size).isEmpty(), "no object for a short body of " + size + " bytes");
        }
    }

    @Test
    void aBodyThatCannotBeReadStoresNothing() {
        byte[] body = bytes(100_000, 6);
        InputStream failing = new InputStream() {
            private int left = 50_000;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    throw new IOException("the client went away");
                }
                left--;
                return 7;
            }
        };
        FileException e = assertThrows(FileException.class, () -> store.upload("failed", "text/plain", failing, body.length,
                sha256(body), TTL));
        assertEquals(FileException.Code.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("the client went away"), e::getMessage);
        assertTrue(store.head("failed").isEmpty());
    }

    private static byte[] readBack(String key) throws IOException {
        Path to = Files.createTempFile("tmidb-streamed", ".bin");
        try {
            store.download(key, to);
            return Files.readAllBytes(to);
        } finally {
            Files.delete(to);
        }
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] data) {
        return Sha256.hex(Sha256.digest().digest(data));
    }
}
