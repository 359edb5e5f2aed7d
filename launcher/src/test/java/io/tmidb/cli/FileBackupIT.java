// SPDX-License-Identifier: MIT
package io.tmidb.cli;

import io.tmidb.files.ObjectStore;
import io.tmidb.files.Sha256;
import io.tmidb.files.StoreConfig;
import io.tmidb.testkit.S3Server;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tmictl backup} copies the embedded store's objects with their SHA-256 and {@code tmictl
 * restore} puts them back verified, in-process against the test cluster, whose data directory holds
 * the embedded store as a node's does; a damaged copy is refused; with an external store, backup
 * says the objects are not in it.
 */
@TmidbTest
class FileBackupIT {
    @Test
    void backupAndRestoreCarryTheEmbeddedStoresObjects(TestDatabase db, @TempDir Path tmp) throws Exception {
        try (S3Server s3 = S3Server.startIn(db.cluster().dataDir());
             ObjectStore store = new ObjectStore(new StoreConfig(URI.create(s3.endpoint()), "us-east-1", "tmidb",
                     s3.accessKey(), s3.secretKey(), true))) {
            store.ensureBucket();
            List<byte[]> contents = List.of(bytes(100, 1), bytes(12 << 20, 2), bytes(0, 3));
            try (Connection c = db.connect()) {
                String target = Sql.scalar(c, "SELECT tmi.add_target('Gate camera', 'camera', '{}', 'CAM1')");
                for (int i = 0; i < contents.size(); i++) {
                    store.put("cam/" + i, "image/jpeg", contents.get(i));
                    Sql.scalar(c, "SELECT (tmi.attach_file('" + target + "', 'shot.jpg', 'image/jpeg', " + contents.get(i).length
                            + ", '" + sha256(contents.get(i)) + "', 'tmidb', 'cam/" + i + "')).version");
                }
            }
            Path backup = tmp.resolve("backup");
            Tmictl b = Tmictl.run(db, "backup", backup.toString());
            assertEquals(0, b.exitCode(), b.err());
            assertTrue(b.out().contains("backup: files: 3 objects, " + (100 + (12 << 20)) + " bytes"), b.out());
            assertEquals(3, Files.readAllLines(backup.resolve("objects.tsv")).size());

            // the new node's store is empty
            for (int i = 0; i < contents.size(); i++) {
                store.delete("tmidb", "cam/" + i);
            }
            TestDatabase restored = db.sibling("restored", false);
            Tmictl r = Tmictl.run(restored, "restore", backup.toString());
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().contains("restore: files: verified 3 objects"), r.out());
            for (int i = 0; i < contents.size(); i++) {
                assertEquals(sha256(contents.get(i)), store.read("cam/" + i).sha256());
            }
            try (Connection c = restored.connect()) {
                assertEquals("3", Sql.scalar(c, "SELECT count(*) FROM tmi.file_attachment"));
            }

            // a damaged copy is refused before anything is put into the store
            Path copy = backup.resolve("objects").resolve("1");
            byte[] damaged = Files.readAllBytes(copy);
            damaged[0] ^= 1;
            Files.write(copy, damaged);
            Tmictl bad = Tmictl.run(db.sibling("damaged", false), "restore", backup.toString());
            assertNotEquals(0, bad.exitCode());
            assertTrue(bad.err().contains("is damaged"), bad.err());

            Tmictl external = Tmictl.run(db, "backup", tmp.resolve("external").toString(), "--s3-endpoint", "http://127.0.0.1:9");
            assertEquals(0, external.exitCode(), external.err());
            assertTrue(external.out().contains("are NOT in this backup"), external.out());
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
