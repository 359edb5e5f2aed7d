// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.stored.mapping.Pipeline;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.worker.Worker;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerLogin;
import io.tmidb.worker.WorkerSettings;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The two hosts of the stored logic, for tests that must give the same results on both: the
 * worker host (an in-process tmidb-worker running StoredLogicHost) and the PL/Java host (the
 * same jar bound inside the server), the latter only where the pljava extension is installed.
 */
public enum Host {
    WORKER, PLJAVA;

    /** The stored logic of {@code db} running on this host until closed. */
    public Running start(TestDatabase db) throws Exception {
        if (this == WORKER) {
            Worker worker = Worker.start(new WorkerContext(WorkerLogin.of(db), WorkerSettings.of(Map.of("sweep-interval", "PT0.2S"))),
                    List.copyOf(StoredLogicHost.all()));
            awaitPreviewTickets(db);
            return new Running(this, db, worker);
        }
        assumeTrue(db.cluster().installation().hasExtension("pljava"),
                "PL/Java is not installed in this PostgreSQL, so the PL/Java host is not tested");
        installJar(db);
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS pljava");
            st.execute("SELECT tmi.use_host('pljava')");
        }
        return new Running(this, db, null);
    }

    /** Waits until the worker's preview desk holds its tickets: tmi.mapping_preview is answered from then on. */
    static void awaitPreviewTickets(TestDatabase db) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tmi.preview_tickets()")) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
        }
        fail("the worker's preview desk took no ticket within 30 s");
    }

    /** The jar of the stored logic under test (this build's). */
    private static void installJar(TestDatabase db) throws IOException {
        Path jar = Path.of(Pipeline.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        assumeTrue(jar.toString().endsWith(".jar"), "tmidb-stored is not packaged as a jar (run mvn verify)");
        db.installStoredLogicJar(jar);
    }

    /** A started host. */
    public static final class Running implements AutoCloseable {
        private final Host host;
        private final TestDatabase db;
        private final Worker worker;

        Running(Host host, TestDatabase db, Worker worker) {
            this.host = host;
            this.db = db;
            this.worker = worker;
        }

        /** Waits until nothing is pending: raw documents, schema changes, alarm evaluations. */
        public void awaitIdle() throws SQLException, InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                while (System.nanoTime() < deadline) {
                    try (ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM tmi.raw_bucket WHERE status = 'pending')"
                            + " + (SELECT count(*) FROM tmi.schema_pending) + (SELECT count(*) FROM tmi.alarm_pending)")) {
                        rs.next();
                        if (rs.getLong(1) == 0) {
                            return;
                        }
                    }
                    Thread.sleep(50);
                }
            }
            fail("the " + host + " host left work pending for 60 s");
        }

        /** What a document would become under a rule: tmi.mapping_preview, whichever host runs it. */
        String preview(String rule, String payload) throws SQLException {
            try (Connection c = db.connect();
                 PreparedStatement ps = c.prepareStatement("SELECT tmi.mapping_preview(CAST(? AS jsonb), CAST(? AS jsonb))::text")) {
                ps.setString(1, rule);
                ps.setString(2, payload);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (worker != null) {
                worker.close();
            }
        }
    }
}
