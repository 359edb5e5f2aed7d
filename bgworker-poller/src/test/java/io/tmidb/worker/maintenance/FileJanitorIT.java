// SPDX-License-Identifier: MIT
package io.tmidb.worker.maintenance;

import io.tmidb.files.ObjectStore;
import io.tmidb.files.Sha256;
import io.tmidb.files.StoreConfig;
import io.tmidb.testkit.S3Server;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's janitor against the real embedded object store (S3Proxy): the object of an upload
 * that expired without a row is deleted, as are the objects of a deleted file and of a deleted
 * target's files; attached files and uploads still under way keep theirs; tmi.status() shows the
 * store as the janitor found it.
 */
@TmidbTest
@Timeout(180)
class FileJanitorIT {
    private static final String BUCKET = "tmidb";

    @Test
    void expiredUploadsAndDeletedFilesLoseTheirObjectsAndAttachedFilesKeepThem(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("file_janitor", false);
        try (S3Server s3 = S3Server.startNew();
             ObjectStore store = new ObjectStore(new StoreConfig(URI.create(s3.endpoint()), "us-east-1", BUCKET, s3.accessKey(),
                     s3.secretKey(), true));
             Connection c = d.connect(); Statement st = c.createStatement()) {
            store.ensureBucket();
            String camera = Sql.scalar(c, "SELECT tmi.add_target('Gate camera', 'camera', '{}', 'CAM1')");
            String doomed = Sql.scalar(c, "SELECT tmi.add_target('Old camera', 'camera', '{}', 'CAM2')");
            st.execute("SET ROLE tmi_speaker");
            // presigned uploads whose objects were put: one left to expire, one still under way, one completed
            String expired = uploaded(c, store, camera, "expired.txt", "1 second");
            String underWay = uploaded(c, store, camera, "under-way.txt", "1 hour");
            String confirmed = uploaded(c, store, camera, "confirmed.txt", "1 hour");
            attach(c, camera, "confirmed.txt", confirmed);
            String detached = uploaded(c, store, camera, "detached.txt", "1 hour");
            String detachedId = attach(c, camera, "detached.txt", detached);
            st.execute("SELECT tmi.detach_file(" + detachedId + ")");
            String ofTarget = uploaded(c, store, doomed, "last.txt", "1 hour");
            attach(c, doomed, "last.txt", ofTarget);
            st.execute("RESET ROLE");
            st.execute("DELETE FROM tmi.target WHERE target_id = '" + doomed + "'");
            Thread.sleep(1100); // the first upload expires
            assertTrue(store.head(expired).isPresent(), "the expired upload's object is in the store, without a row");
            assertEquals(0, Sql.scalarLong(c, "SELECT count(*) FROM tmi.file_attachment WHERE object_key = '" + expired + "'"));

            WorkerContext context = new WorkerContext(d::connect, WorkerSettings.of(Map.of("s3-endpoint", s3.endpoint(),
                    "s3-access-key", s3.accessKey(), "s3-secret-key", s3.secretKey(), "file-sweep", "PT0.5S")));
            try (Worker worker = Worker.start(context, List.of(new FileJanitor()))) {
                await(() -> store.head(expired).isEmpty() && store.head(detached).isEmpty() && store.head(ofTarget).isEmpty(),
                        "the janitor deletes the objects of the expired upload, the deleted file and the deleted target's file");
                await(() -> Sql.scalar(c, "SELECT detail FROM tmi.status() WHERE subsystem = 'files'")
                                .contains("bucket tmidb reachable: 2 objects"),
                        "the janitor reports the store");
            }
            assertTrue(store.head(confirmed).isPresent(), "an attached file keeps its object");
            assertTrue(store.head(underWay).isPresent(), "an upload under way keeps its object");
            assertEquals(List.of(confirmed, underWay).stream().sorted().toList(), store.list(""));
            assertEquals(0, Sql.scalarLong(c, "SELECT count(*) FROM tmi.file_trash"));
            assertEquals(1, Sql.scalarLong(c, "SELECT count(*) FROM tmi.file_upload"), "only the upload under way is pending");
            assertEquals("ok", Sql.scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'files'"));
            assertTrue(Sql.scalar(c, "SELECT detail FROM tmi.status() WHERE subsystem = 'files'").contains("0 objects to delete"));
            assertFalse(Sql.scalar(c, "SELECT string_agg(detail, ' ') FROM tmi.status()").contains(s3.secretKey()),
                    "the store's secret is never shown");
        }
    }

    @Test
    void anUnreachableStoreIsReportedAndItsObjectsWait(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("file_janitor_down", false);
        try (Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tmi.file_trash (bucket, object_key) VALUES ('tmidb', 'gone/1')");
            // a port nothing listens on: the janitor keeps the row and says why
            WorkerContext context = new WorkerContext(d::connect, WorkerSettings.of(Map.of("s3-endpoint", "http://127.0.0.1:9",
                    "s3-access-key", "key", "s3-secret-key", "secret", "file-sweep", "PT0.5S")));
            try (Worker worker = Worker.start(context, List.of(new FileJanitor()))) {
                await(() -> "attention".equals(Sql.scalar(c, "SELECT state FROM tmi.status() WHERE subsystem = 'files'")),
                        "the janitor reports the store unreachable");
                await(() -> Sql.scalarLong(c, "SELECT attempts FROM tmi.file_trash WHERE object_key = 'gone/1'") > 0,
                        "the failed deletion is counted on its row");
            }
            assertEquals(1, Sql.scalarLong(c, "SELECT count(*) FROM tmi.file_trash WHERE last_error IS NOT NULL"));
            assertTrue(Sql.scalar(c, "SELECT detail FROM tmi.status() WHERE subsystem = 'files'").contains("unreachable"));
        }
    }

    /** Begins an upload of a small text file as the speaker and puts its object, as a client with the presigned URL would. */
    private static String uploaded(Connection c, ObjectStore store, String target, String name, String ttl) throws SQLException {
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        String key = Sql.scalar(c, "SELECT object_key FROM tmi.begin_upload('" + target + "', '" + name + "', 'text/plain', "
                + body.length + ", '" + Sha256.hex(Sha256.digest().digest(body)) + "', '" + BUCKET + "', '" + ttl + "')");
        store.put(key, "text/plain", body);
        return key;
    }

    /** Attaches the object of an upload (what completing it does); answers the file's id. */
    private static String attach(Connection c, String target, String name, String key) throws SQLException {
        byte[] body = name.getBytes(StandardCharsets.UTF_8);
        return Sql.scalar(c, "SELECT file_id FROM tmi.attach_file('" + target + "', '" + name + "', 'text/plain', " + body.length
                + ", '" + Sha256.hex(Sha256.digest().digest(body)) + "', '" + BUCKET + "', '" + key + "')");
    }

    private static void await(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.call()) {
            assertTrue(System.nanoTime() < deadline, what + " within 30 s");
            Thread.sleep(100);
        }
    }
}
