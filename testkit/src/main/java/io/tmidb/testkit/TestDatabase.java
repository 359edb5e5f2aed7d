// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import io.tmidb.cluster.Cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A database with the tmidb extension on the scratch cluster, owned by one test class. */
public final class TestDatabase {
    public static final String TEST_APP_NAME = "tmiDB-Test";
    private final ScratchCluster scratch;
    private final String name;

    TestDatabase(ScratchCluster scratch, String name) {
        this.scratch = scratch;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public Cluster cluster() {
        return scratch.cluster();
    }

    /**
     * Puts the stored logic's jar where tmi.use_host('pljava') looks for it, in the test run's own
     * copy of the installation (SHAREDIR/tmidb/tmidb-stored.jar), never in the system's.
     */
    public void installStoredLogicJar(Path jar) {
        io.tmidb.cluster.ExtensionFiles.installStoredLogic(cluster().installation(), jar);
    }

    /** The id of the newest event, once every committed event is numbered (waits up to 10 s for that). */
    public long lastEventId() throws SQLException, InterruptedException {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (int i = 0; i < 200; i++) {
                st.execute("SELECT tmi.sequence_events()");
                try (ResultSet rs = st.executeQuery(
                        "SELECT count(*) FILTER (WHERE event_id IS NULL), coalesce(max(event_id), 0) FROM tmi.event_log")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return rs.getLong(2);
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("events stayed unnumbered for 10 s");
    }

    /** The ids of the numbered events of {@code tmi.event_log} that match {@code condition} (SQL on its columns), in order. */
    public List<Long> eventIds(String condition) throws SQLException {
        try (Connection c = connect()) {
            return Sql.column(c, "SELECT event_id FROM tmi.event_log WHERE event_id IS NOT NULL AND (" + condition + ") ORDER BY event_id")
                    .stream().map(Long::parseLong).toList();
        }
    }

    /** A superuser connection, in autocommit mode. */
    public Connection connect() throws SQLException {
        return cluster().connect(name, TEST_APP_NAME);
    }

    /** Another database on the same cluster, e.g. a restore target or a TimescaleDB one. */
    public TestDatabase sibling(String suffix, boolean timescale) throws SQLException {
        return scratch.createDatabase(name + "_" + suffix, timescale);
    }

    /** An empty database (no extension) on the same cluster; returns its name. */
    public String emptySibling(String suffix) throws SQLException {
        String db = name + "_" + suffix;
        try (Connection c = cluster().connect("postgres", TEST_APP_NAME); var st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + db);
            st.execute("CREATE DATABASE " + db);
        }
        return db;
    }

    /**
     * Runs a PostgreSQL client program (psql, pg_dump, pg_restore) against database {@code db}
     * and returns its exit code and combined output.
     */
    public ClientResult runClient(String db, List<String> programAndArgs) throws IOException, InterruptedException {
        return runClient(db, Map.of(), programAndArgs);
    }

    /** Like {@link #runClient(String, List)}, with extra environment variables. */
    public ClientResult runClient(String db, Map<String, String> env, List<String> programAndArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(programAndArgs);
        cmd.set(0, cluster().installation().program(cmd.get(0)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(Path.of("/").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(cluster().clientEnv(db, TEST_APP_NAME));
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(cmd + " timed out");
        }
        return new ClientResult(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** The exit code and output of a client program. */
    public record ClientResult(int exitCode, String output) {
    }
}
