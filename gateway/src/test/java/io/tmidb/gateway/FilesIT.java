// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.Sha256;
import io.tmidb.files.StoreConfig;
import io.tmidb.testkit.S3Server;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static io.tmidb.gateway.Json.assertError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files with the real embedded object store (S3Proxy, as tmidbd runs it): a presigned upload is
 * verified and attached, listeners get the event and may download what they may read, wrong sizes
 * and hashes are refused leaving nothing, the objects of expired uploads and deleted files (and
 * targets, whose file.deleted events keep their kind) are queued for tmidb-worker's janitor, bodies
 * stream through the gateway, and the limits hold.
 */
@TmidbTest
class FilesIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static S3Server s3;
    private static GatewayFixture gw;
    private static TestDatabase db;
    /** The test's own client of the store, to look behind the gateway's back. */
    private static ObjectStore store;
    private static String camera;
    private static String ann;
    private static String bob;

    @BeforeAll
    static void start(TestDatabase database) throws SQLException {
        db = database;
        s3 = S3Server.startNew();
        gw = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, storeSettings(Map.of()))), db);
        store = new ObjectStore(new StoreConfig(URI.create(s3.endpoint()), "us-east-1", "tmidb", s3.accessKey(), s3.secretKey(), true));
        camera = scalar("SELECT tmi.add_target('Gate camera', 'camera', '{}', 'CAM1')");
        scalar("SELECT tmi.add_target('Bike 1', 'bike', '{}', 'B1')");
        sql("SELECT tmi.add_listener('ann'), tmi.subscribe('ann', 'camera')");
        sql("SELECT tmi.add_listener('bob'), tmi.subscribe('bob', 'bike')");
        ann = scalar("SELECT tmi.issue_token('ann', '1 hour')");
        bob = scalar("SELECT tmi.issue_token('bob', '1 hour')");
    }

    @AfterAll
    static void stop() throws IOException {
        gw.close();
        store.close();
        s3.close();
    }

    static Map<String, String> storeSettings(Map<String, String> more) {
        Map<String, String> all = new HashMap<>(Map.of("s3-endpoint", s3.endpoint(), "s3-access-key", s3.accessKey(),
                "s3-secret-key", s3.secretKey(), "file-max-size", String.valueOf(64 << 20),
                "file-content-types", "image/*,text/plain,application/octet-stream"));
        all.putAll(more);
        return all;
    }

    @Test
    void aPresignedUploadIsVerifiedAttachedAnnouncedAndReadableByItsListenersOnly() throws Exception {
        byte[] photo = bytes(300_000, 1);
        try (WsClient events = WsClient.connect(gw, "/tmi/ws?token=" + ann)) {
            events.expect("ready", 10);
            events.send("{\"type\": \"subscribe\", \"events\": [\"file.*\"]}");
            events.expect("subscribed", 10);

            JsonNode up = begin(gw, camera, "gate.jpg", "image/jpeg", photo);
            assertEquals("PUT", up.path("method").asText());
            assertTrue(up.path("headers").has("x-amz-checksum-sha256"), up::toString);
            assertEquals(200, put(up, photo).statusCode());
            HttpResponse<String> done = complete(gw, up);
            assertEquals(201, done.statusCode(), done::body);
            JsonNode file = Json.of(done);
            assertEquals("gate.jpg", file.path("name").asText());
            assertEquals(1, file.path("version").asInt());
            assertEquals(photo.length, file.path("size_bytes").asLong());
            assertEquals(sha256(photo), file.path("sha256").asText());
            assertEquals("checksum", file.path("sha256_verified_by").asText(), "S3Proxy keeps the signed SHA-256 checksum");

            JsonNode event = events.expect("event", 20);
            assertEquals("file.attached", event.path("event_type").asText());
            assertEquals(camera, event.path("target_id").asText());
            JsonNode p = event.path("payload");
            assertEquals(file.path("file_id").asLong(), p.path("file_id").asLong());
            assertEquals("image/jpeg", p.path("content_type").asText());
            assertEquals(sha256(photo), p.path("sha256").asText());
            assertEquals(up.path("object_key").asText(), p.path("object_key").asText());
            assertEquals(1, p.path("version").asInt());
            assertFalse(event.toString().contains(s3.secretKey()), "no secret travels with an event");

            String path = "/files/" + file.path("file_id").asLong();
            HttpResponse<String> link = gw.get(path, "Authorization", "Bearer " + ann, "Accept", "application/json");
            assertEquals(200, link.statusCode(), link::body);
            assertArrayEquals(photo, fetch(Json.of(link).path("url").asText()).body());
            HttpResponse<String> redirect = gw.get(path, "Authorization", "Bearer " + ann);
            assertEquals(307, redirect.statusCode());
            HttpResponse<byte[]> followed = fetch(redirect.headers().firstValue("Location").orElseThrow());
            assertArrayEquals(photo, followed.body());
            assertEquals("image/jpeg", followed.headers().firstValue("Content-Type").orElse(""));

            assertError(gw.get(path, "Authorization", "Bearer " + bob), 404, "TMF09");
            assertError(gw.get(path), 401, "42501");
            assertError(gw.get("/files/999999", "Authorization", "Bearer " + ann), 404, "TMF09");

            // the same name again is its next version
            JsonNode again = begin(gw, camera, "gate.jpg", "image/jpeg", photo);
            assertEquals(200, put(again, photo).statusCode());
            assertEquals(2, Json.of(complete(gw, again)).path("version").asInt());
        }
    }

    @Test
    void aWrongHashOrSizeIsRefusedWithTheReasonAndLeavesNothing() throws Exception {
        byte[] declared = bytes(50_000, 2);
        byte[] other = bytes(50_000, 3);
        long files = count("tmi.file_attachment");

        JsonNode up = begin(gw, camera, "wrong.bin", "application/octet-stream", declared);
        HttpResponse<String> refused = put(up, other);
        assertEquals(400, refused.statusCode(), "the store checks the signed SHA-256: " + refused.body());
        assertTrue(refused.body().contains("BadDigest") || refused.body().toLowerCase().contains("checksum"), refused::body);
        assertError(complete(gw, up), 409, "TMF03");

        // an object put under the key by other means (here: the store's own client) is checked when completed
        store.put(up.path("object_key").asText(), "application/octet-stream", other);
        JsonNode body = assertError(complete(gw, up), 422, "TMF05");
        assertTrue(body.path("details").asText().contains(sha256(other)), body::toString);
        assertTrue(store.head(up.path("object_key").asText()).isEmpty(), "the wrong object is deleted");
        assertError(complete(gw, up), 400, "42704");

        JsonNode shorter = begin(gw, camera, "short.bin", "application/octet-stream", declared);
        store.put(shorter.path("object_key").asText(), "application/octet-stream", Arrays.copyOf(declared, 1000));
        assertError(complete(gw, shorter), 422, "TMF04");
        assertEquals(files, count("tmi.file_attachment"), "no row for a refused file");
        assertEquals("0", scalar("SELECT count(*) FROM tmi.file_upload WHERE name IN ('wrong.bin', 'short.bin')"));
    }

    @Test
    void anUploadIsAttachedOnceThroughAnyGatewayAndNotAtAllWhenGivenUp() throws Exception {
        byte[] data = bytes(30_000, 9);
        try (GatewayFixture other = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, storeSettings(Map.of()))), db)) {
            // begun through one gateway, completed through another, which reads the upload from the database
            JsonNode up = begin(gw, camera, "elsewhere.txt", "text/plain", data);
            assertEquals(200, put(up, data).statusCode());
            HttpResponse<String> done = complete(other, up);
            assertEquals(201, done.statusCode(), done::body);
            assertEquals("checksum", Json.of(done).path("sha256_verified_by").asText());
            // the first gateway still remembers the upload; the database refuses to attach it twice
            assertError(complete(gw, up), 400, "42704");
            assertEquals("1", scalar("SELECT count(*) FROM tmi.file_attachment WHERE name = 'elsewhere.txt'"));

            // given up through the other gateway, with or without its object in the store: refused as unknown
            JsonNode empty = begin(gw, camera, "given-up.txt", "text/plain", data);
            JsonNode placed = begin(gw, camera, "given-up-placed.txt", "text/plain", data);
            assertEquals(200, put(placed, data).statusCode());
            for (JsonNode given : new JsonNode[]{empty, placed}) {
                HttpResponse<String> cancelled = other.send("DELETE", given.path("complete").asText(), null,
                        "Authorization", "Bearer " + other.speaker());
                assertEquals(200, cancelled.statusCode(), cancelled::body);
                assertError(complete(gw, given), 400, "42704");
            }
            assertEquals("0", scalar("SELECT count(*) FROM tmi.file_attachment WHERE name LIKE 'given-up%'"), "nothing attached");
            assertEquals("1", scalar("SELECT count(*) FROM tmi.file_trash WHERE object_key = '"
                    + placed.path("object_key").asText() + "'"), "the given-up object is queued for deletion");
        }
    }

    @Test
    void anExpiredUploadIsRefusedAndItsObjectCleanedUp() throws Exception {
        try (GatewayFixture quick = GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db,
                storeSettings(Map.of("file-upload-expiry", "PT2S")))), db)) {
            byte[] data = bytes(10_000, 4);
            JsonNode late = begin(quick, camera, "late.txt", "text/plain", data);
            Thread.sleep(3000);
            assertEquals(403, put(late, data).statusCode(), "the presigned URL has expired");

            JsonNode left = begin(quick, camera, "left.txt", "text/plain", data);
            assertEquals(200, put(left, data).statusCode());
            Thread.sleep(2500);
            assertError(complete(quick, left), 400, "42704");
            String key = left.path("object_key").asText();
            sql("SELECT tmi.expire_uploads()"); // what tmidb-worker's janitor does every file-sweep (FileJanitorIT)
            assertEquals("1", scalar("SELECT count(*) FROM tmi.file_trash WHERE object_key = '" + key + "'"),
                    "the expired upload's object is queued for deletion");
            assertEquals("0", scalar("SELECT count(*) FROM tmi.file_upload WHERE name IN ('late.txt', 'left.txt')"));
        }
    }

    @Test
    void deletingAFileOrItsTargetQueuesItsObjectAndMakesAnEventWithItsKind() throws Exception {
        byte[] data = bytes(20_000, 5);
        JsonNode file = attached(camera, "doomed.txt", "text/plain", data);
        String key = file.path("object_key").asText();
        String path = "/files/" + file.path("file_id").asLong();
        assertError(gw.send("DELETE", path, null, "Authorization", "Bearer " + ann), 403, "42501");
        String doomed = scalar("SELECT tmi.add_target('Doomed camera', 'camera', '{}', 'CAM9')");
        String other = attached(doomed, "last.txt", "text/plain", data).path("object_key").asText();
        try (WsClient events = WsClient.connect(gw, "/tmi/ws?token=" + ann)) {
            events.expect("ready", 10);
            // ann follows the kind camera: what she receives is decided by the event's kind
            events.send("{\"type\": \"subscribe\", \"kinds\": [\"camera\"], \"events\": [\"file.deleted\"]}");
            events.expect("subscribed", 10);
            HttpResponse<String> gone = gw.send("DELETE", path, null, "Authorization", "Bearer " + gw.speaker());
            assertEquals(200, gone.statusCode(), gone::body);
            JsonNode event = events.expect("event", 20);
            assertEquals("file.deleted", event.path("event_type").asText());
            assertEquals("camera", event.path("kind").asText());
            assertEquals(key, event.path("payload").path("object_key").asText());

            sql("DELETE FROM tmi.target WHERE target_id = '" + doomed + "'");
            JsonNode withTarget = events.expect("event", 20);
            assertEquals("file.deleted", withTarget.path("event_type").asText());
            assertEquals("camera", withTarget.path("kind").asText(), "the deleted target's kind");
            assertEquals(doomed, withTarget.path("target_id").asText());
            assertEquals(other, withTarget.path("payload").path("object_key").asText());
        }
        assertError(gw.get(path, "Authorization", "Bearer " + ann), 404, "TMF09");
        // tmidb-worker's janitor deletes queued objects (FileJanitorIT)
        assertEquals("2", scalar("SELECT count(*) FROM tmi.file_trash WHERE object_key IN ('" + key + "', '" + other + "')"));
        assertEquals("0", scalar("SELECT count(*) FROM tmi.file_attachment WHERE target_id = '" + doomed + "'"));
    }

    @Test
    void aBodyStreamsThroughTheGatewayAndIsVerified() throws Exception {
        byte[] video = bytes(20 << 20, 6);
        HttpResponse<String> r = stream(camera, "clip.bin", sha256(video), video);
        assertEquals(201, r.statusCode(), r::body);
        JsonNode file = Json.of(r);
        assertEquals("stream", file.path("sha256_verified_by").asText());
        assertEquals(video.length, file.path("size_bytes").asLong());
        HttpResponse<String> link = gw.get("/files/" + file.path("file_id").asLong(), "Authorization", "Bearer " + ann,
                "Accept", "application/json");
        assertArrayEquals(video, fetch(Json.of(link).path("url").asText()).body());

        long files = count("tmi.file_attachment");
        byte[] small = bytes(1000, 7);
        JsonNode body = assertError(stream(camera, "bad.bin", sha256(video), small), 422, "TMF05");
        assertTrue(body.path("details").asText().contains(sha256(small)), body::toString);
        assertEquals(files, count("tmi.file_attachment"));
        assertEquals("0", scalar("SELECT count(*) FROM tmi.file_upload WHERE name = 'bad.bin'"));
    }

    @Test
    void limitsAndBadDescriptionsAreRefusedWithTheReason() {
        byte[] data = bytes(100, 8);
        String speaker = "Bearer " + gw.speaker();
        assertError(gw.send("POST", "/files", describe(camera, "big.jpg", "image/jpeg", (64L << 20) + 1, sha256(data)),
                "Authorization", speaker, "Content-Type", "application/json"), 413, "TMF01");
        assertError(gw.send("POST", "/files", describe(camera, "run.exe", "application/x-msdownload", 100, sha256(data)),
                "Authorization", speaker, "Content-Type", "application/json"), 415, "TMF02");
        assertError(gw.send("POST", "/files", describe(camera, "a/b.jpg", "image/jpeg", 100, sha256(data)),
                "Authorization", speaker, "Content-Type", "application/json"), 400, "22023");
        assertError(gw.send("POST", "/files", describe(camera, "a.jpg", "image/jpeg", 100, "not-a-hash"),
                "Authorization", speaker, "Content-Type", "application/json"), 400, "22023");
        assertError(gw.send("POST", "/files", describe("00000000-0000-0000-0000-000000000000", "a.jpg", "image/jpeg", 100, sha256(data)),
                "Authorization", speaker, "Content-Type", "application/json"), 400, "42704");
        assertError(gw.send("POST", "/files", describe(camera, "a.jpg", "image/jpeg", 100, sha256(data)),
                "Authorization", "Bearer " + ann, "Content-Type", "application/json"), 403, "42501");
        assertError(gw.send("POST", "/files", "{\"size\": \"big\"}", "Authorization", speaker, "Content-Type", "application/json"),
                400, "PGRST102");
    }

    // --- helpers

    private static JsonNode attached(String target, String name, String type, byte[] data) {
        JsonNode up = begin(gw, target, name, type, data);
        assertEquals(200, put(up, data).statusCode());
        HttpResponse<String> done = complete(gw, up);
        assertEquals(201, done.statusCode(), done::body);
        return Json.of(done);
    }

    private static JsonNode begin(GatewayFixture g, String target, String name, String type, byte[] data) {
        HttpResponse<String> r = g.send("POST", "/files", describe(target, name, type, data.length, sha256(data)),
                "Authorization", "Bearer " + g.speaker(), "Content-Type", "application/json");
        assertEquals(201, r.statusCode(), r::body);
        return Json.of(r);
    }

    private static HttpResponse<String> complete(GatewayFixture g, JsonNode up) {
        return g.send("POST", up.path("complete").asText(), null, "Authorization", "Bearer " + g.speaker());
    }

    private static String describe(String target, String name, String type, long size, String sha256) {
        return "{\"target_id\": \"" + target + "\", \"name\": \"" + name + "\", \"content_type\": \"" + type
                + "\", \"size\": " + size + ", \"sha256\": \"" + sha256 + "\"}";
    }

    /** PUTs {@code body} to the presigned URL with the headers it was signed with, as any HTTP client would. */
    private static HttpResponse<String> put(JsonNode up, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(up.path("url").asText())).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        up.path("headers").fields().forEachRemaining(h -> {
            if (!h.getKey().equalsIgnoreCase("content-length")) {
                b.header(h.getKey(), h.getValue().asText());
            }
        });
        return send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> stream(String target, String name, String sha256, byte[] body) {
        return gw.sendRaw("POST", "/files/stream?target_id=" + target + "&name=" + name + "&sha256=" + sha256,
                HttpRequest.BodyPublishers.ofByteArray(body), "Authorization", "Bearer " + gw.speaker(),
                "Content-Type", "application/octet-stream");
    }

    private static HttpResponse<byte[]> fetch(String url) {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), () -> new String(r.body()));
        return r;
    }

    private static <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
        try {
            return HTTP.send(req, handler);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
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

    private static long count(String table) throws SQLException {
        return Long.parseLong(scalar("SELECT count(*) FROM " + table));
    }

    private static void sql(String statement) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private static String scalar(String query) throws SQLException {
        try (Connection c = db.connect()) {
            return Sql.scalar(c, query);
        }
    }
}
