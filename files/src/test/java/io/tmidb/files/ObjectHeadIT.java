// SPDX-License-Identifier: MIT
package io.tmidb.files;

import io.tmidb.testkit.S3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link ObjectStore#head} and {@link ObjectStore#verify} learn of an object from the real
 * embedded store (S3Proxy) through a presigned HEAD: size and checksum, no object, an object
 * without checksum (verified by reading it back), and a store that refuses or cannot be reached.
 */
@Timeout(120)
class ObjectHeadIT {
    private static S3Server s3;
    private static ObjectStore store;

    @BeforeAll
    static void start() {
        s3 = S3Server.startNew();
        store = new ObjectStore(config(s3.endpoint(), s3.secretKey()));
        store.ensureBucket();
    }

    @AfterAll
    static void stop() throws IOException {
        store.close();
        s3.close();
    }

    @Test
    void anObjectPutWithItsChecksumIsVerifiedByTheChecksum() {
        byte[] body = "the gate at dawn".getBytes();
        store.upload("head/checksum", "text/plain", new ByteArrayInputStream(body), body.length, sha256(body), Duration.ofMinutes(1));
        assertEquals(Optional.of(new Stored(body.length, sha256(body), "checksum")), store.head("head/checksum"));
        assertEquals(new Stored(body.length, sha256(body), "checksum"), store.verify("head/checksum", body.length, sha256(body)));
        FileException wrong = assertThrows(FileException.class, () -> store.verify("head/checksum", body.length, sha256(new byte[1])));
        assertEquals(FileException.Code.HASH_MISMATCH, wrong.code());
        FileException longer = assertThrows(FileException.class, () -> store.verify("head/checksum", body.length + 1, sha256(body)));
        assertEquals(FileException.Code.SIZE_MISMATCH, longer.code());
    }

    @Test
    void anObjectWithoutChecksumIsReadBack() {
        byte[] body = "put by other means".getBytes();
        store.put("head/plain", "text/plain", body);
        assertEquals(Optional.of(new Stored(body.length, null, null)), store.head("head/plain"));
        assertEquals(new Stored(body.length, sha256(body), "read"), store.verify("head/plain", body.length, sha256(body)));
    }

    @Test
    void noObjectIsEmptyAndMissingToVerify() {
        assertTrue(store.head("head/nothing").isEmpty());
        assertEquals(FileException.Code.MISSING, assertThrows(FileException.class, () -> store.verify("head/nothing", 1, sha256(new byte[1])))
                .code());
    }

    @Test
    void aStoreThatRefusesOrIsNotThereIsUnavailable() throws IOException {
        try (ObjectStore wrongKey = new ObjectStore(config(s3.endpoint(), "not-the-secret"))) {
            FileException e = assertThrows(FileException.class, () -> wrongKey.head("head/checksum"));
            assertEquals(FileException.Code.UNAVAILABLE, e.code());
            assertTrue(e.getMessage().contains("403"), e::getMessage);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (ObjectStore gone = new ObjectStore(config("http://127.0.0.1:" + port, s3.secretKey()))) {
            assertEquals(FileException.Code.UNAVAILABLE, assertThrows(FileException.class, () -> gone.head("head/checksum")).code());
        }
    }

    private static StoreConfig config(String endpoint, String secret) {
        return new StoreConfig(URI.create(endpoint), "us-east-1", "tmidb", s3.accessKey(), secret, true);
    }

    private static String sha256(byte[] data) {
        return Sha256.hex(Sha256.digest().digest(data));
    }
}
