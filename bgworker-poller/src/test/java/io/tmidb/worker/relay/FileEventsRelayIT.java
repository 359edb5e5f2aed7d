// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

import io.nats.client.Message;
import io.tmidb.testkit.NatsServer;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tmidb.worker.relay.RelayRun.awaitCursor;
import static io.tmidb.worker.relay.RelayRun.readStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A file attached and deleted reaches JetStream as file.attached and file.deleted, with where to fetch it, never its bytes. */
@TmidbTest
class FileEventsRelayIT {
    @Test
    void fileEventsCarryTheMetadataToJetStream(TestDatabase db) throws Exception {
        TestDatabase fresh = db.sibling("files", false);
        String sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        try (NatsServer nats = NatsServer.startNew(); Connection c = fresh.connect(); Statement st = c.createStatement()) {
            String camera = Sql.scalar(c, "SELECT tmi.add_target('Gate camera', 'camera', '{}', 'CAM1')");
            st.execute("SET ROLE tmi_speaker");
            String file = Sql.scalar(c, "SELECT (tmi.attach_file('" + camera + "', 'gate.jpg', 'image/jpeg', 4, '" + sha
                    + "', 'tmidb', '" + camera + "/upload-1')).file_id");
            st.execute("SELECT tmi.detach_file(" + file + ")");
            st.execute("RESET ROLE");
            try (RelayRun relay = RelayRun.start(fresh, nats.url(), Map.of())) {
                awaitCursor(fresh, "nats", 3, Duration.ofSeconds(60));
            }
            List<Message> got = readStream(nats.url(), "TMI", 3);
            assertEquals(List.of("tmi.camera." + camera + ".target.created", "tmi.camera." + camera + ".file.attached",
                    "tmi.camera." + camera + ".file.deleted"), got.stream().map(Message::getSubject).toList());
            String attached = new String(got.get(1).getData(), StandardCharsets.UTF_8).replace(" ", "");
            for (String part : List.of("\"name\":\"gate.jpg\"", "\"content_type\":\"image/jpeg\"", "\"size_bytes\":4",
                    "\"sha256\":\"" + sha + "\"", "\"object_key\":\"" + camera + "/upload-1\"", "\"version\":1", "\"file_id\":" + file)) {
                assertTrue(attached.contains(part), part + " in " + attached);
            }
            assertEquals("1", Sql.scalar(c, "SELECT count(*) FROM tmi.file_trash WHERE object_key = '" + camera + "/upload-1'"),
                    "the deleted file's object waits for the janitor");
        }
    }
}
