// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tmi.mapping_preview on the worker host: the request reaches tmidb-worker through the function's
 * own connection as tmi_preview, whose password CREATE EXTENSION set (tmidbd's password file is
 * not needed), and the caller waits for the lock of its ticket, not in a loop.
 */
@TmidbTest
class PreviewIT {
    private static final String RULE = """
            {"kind": "bike", "iterate": "$.stations[*]", "key": "$.id", "name": "$.name",
             "fields": {"bikes": {"path": "$.n", "type": "integer"}}}""";

    @Test
    void answersWithoutThePasswordFileInsideATransactionThatWrote(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("no_pgpass", false);
        Path pgpass = d.cluster().pgpass();
        Path away = pgpass.resolveSibling(pgpass.getFileName() + ".away");
        try (Host.Running running = Host.WORKER.start(d); Connection c = d.connect()) {
            Files.move(pgpass, away, StandardCopyOption.ATOMIC_MOVE);
            try {
                c.setAutoCommit(false);
                c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT tmi.add_target('Depot', 'depot', '{}', 'D1')");
                }
                // the answer is committed by the worker after this transaction's snapshot was taken
                assertEquals("s1 Quay {\"bikes\": 4}", preview(c, "s1", "Quay", 4));
                c.rollback();
            } finally {
                Files.move(away, pgpass, StandardCopyOption.ATOMIC_MOVE);
            }
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.preview_request"), "answers are deleted as they are read");
        }
    }

    @Test
    void concurrentPreviewsGetTheirOwnAnswers(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("concurrent", false);
        int callers = PreviewDesk.TICKETS - 2;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try (Host.Running running = Host.WORKER.start(d)) {
            for (int round = 0; round < 3; round++) {
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < callers; i++) {
                    int n = round * callers + i;
                    answers.add(pool.submit(() -> {
                        try (Connection c = d.connect()) {
                            return preview(c, "s" + n, "Station " + n, n);
                        }
                    }));
                }
                for (int i = 0; i < callers; i++) {
                    int n = round * callers + i;
                    assertEquals("s" + n + " Station " + n + " {\"bikes\": " + n + "}", answers.get(i).get());
                }
            }
            try (Connection c = d.connect()) {
                assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.target"), "a preview writes nothing");
                assertEquals(PreviewDesk.TICKETS, scalarLong(c, "SELECT count(*) FROM tmi.preview_tickets()"),
                        "the desk holds a new ticket for each one used");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void errorsOfTheStoredLogicReachTheCaller(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("errors", false);
        try (Host.Running running = Host.WORKER.start(d); Connection c = d.connect()) {
            // a valid rule whose path fails on this document: the worker's error, with its SQLSTATE
            ServerErrorMessage m = assertFails(c, "22012", "SELECT tmi.mapping_preview("
                    + "'{\"kind\": \"bike\", \"iterate\": \"$.n / 0\", \"key\": \"$.id\"}', '{\"n\": 1}')");
            assertEquals("division by zero", m.getMessage());
            // and the desk answers the next one
            assertEquals("s1 Quay {\"bikes\": 4}", preview(c, "s1", "Quay", 4));
        }
    }

    @Test
    void withoutAWorkerTheCallSaysSoAtOnce(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("stopped", false);
        try (Connection c = d.connect()) {
            assertFails(c, "55000", "SELECT tmi.mapping_preview('" + RULE + "', '{\"stations\": []}')");
            try (Host.Running running = Host.WORKER.start(d)) {
                assertEquals("s1 Quay {\"bikes\": 4}", preview(c, "s1", "Quay", 4));
            }
            // its connection closed, the stopped worker's tickets go with it as soon as its backend has exited
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            while (scalarLong(c, "SELECT count(*) FROM tmi.preview_tickets()") > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.preview_tickets()"));
            assertTrue(assertFails(c, "55000", "SELECT tmi.mapping_preview('" + RULE + "', '{\"stations\": []}')")
                    .getMessage().contains("no tmidb-worker is running"));
        }
    }

    @Test
    void aPasswordChangedBehindItsBackIsRefusedThenRenewed(TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("renewed", false);
        try (Host.Running running = Host.WORKER.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            st.execute("ALTER ROLE tmi_preview PASSWORD 'changed'");
            ServerErrorMessage m = assertFails(c, "0A000", "SELECT tmi.mapping_preview('" + RULE + "', '{\"stations\": []}')");
            assertTrue(m.getDetail().contains("password authentication failed for user \"tmi_preview\""), m.getDetail());
            assertTrue(m.getHint().contains("tmi.renew_preview_link(true)"), m.getHint());
            st.execute("SELECT tmi.renew_preview_link(true)");
            assertEquals("s1 Quay {\"bikes\": 4}", preview(c, "s1", "Quay", 4));
        }
    }

    /** The one target and observation a preview of one station shows, as "ext_key name payload". */
    private static String preview(Connection c, String id, String name, int bikes) throws SQLException {
        String answer = previewDocument(c, RULE, "{\"stations\": [{\"id\": \"" + id + "\", \"name\": \"" + name + "\", \"n\": " + bikes + "}]}");
        try (PreparedStatement ps = c.prepareStatement("SELECT (p->'targets'->0->>'ext_key') || ' ' || (p->'targets'->0->>'name')"
                + " || ' ' || (p->'observations'->0->'payload')::text FROM CAST(? AS jsonb) p")) {
            ps.setString(1, answer);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static String previewDocument(Connection c, String rule, String document) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.mapping_preview(CAST(? AS jsonb), CAST(? AS jsonb))::text")) {
            ps.setString(1, rule);
            ps.setString(2, document);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
