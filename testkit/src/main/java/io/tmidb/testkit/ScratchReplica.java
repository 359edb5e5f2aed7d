// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.ServerUser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A streaming replica of a test cluster in a temporary directory on a free port, made as
 * {@code tmidbd init --replica-of} makes one (the replication login and a slot on the primary, a
 * base backup through the slot) and started. Closing it stops it, drops its slot on the primary
 * and removes its directory.
 */
public final class ScratchReplica implements AutoCloseable {
    private final Cluster primary;
    private final Cluster replica;
    private final String slot;
    private final Path baseDir;

    private ScratchReplica(Cluster primary, Cluster replica, String slot, Path baseDir) {
        this.primary = primary;
        this.replica = replica;
        this.slot = slot;
        this.baseDir = baseDir;
    }

    /** A replica of the running {@code primary} streaming through a new slot named {@code slot}. */
    public static ScratchReplica start(Cluster primary, String slot) throws SQLException {
        try {
            ServerUser user = ServerUser.forCurrentProcess("postgres");
            Path base = Files.createTempDirectory("tmidb-replica-");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            String password = Cluster.newPassword();
            Node.prepareReplicator(primary, password, slot);
            Cluster replica = Cluster.create(base.resolve("data"), freePort(), primary.installation(), user);
            // the initdb of a test cluster allows replication logins from the loopback addresses
            replica.initReplica("127.0.0.1", primary.port(), slot, password);
            replica.start();
            Runtime.getRuntime().addShutdownHook(new Thread(replica::stop, "tmidb-scratch-replica-stop"));
            return new ScratchReplica(primary, replica, slot, base);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Cluster cluster() {
        return replica;
    }

    public String jdbcUrl(String database) {
        return replica.jdbcUrl(database);
    }

    /** Waits (up to 30 s) until the replica replayed all the primary has written so far. */
    public void awaitReplayed() throws SQLException, InterruptedException {
        String target;
        try (Connection c = primary.connect("postgres", TestDatabase.TEST_APP_NAME); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            target = rs.getString(1);
        }
        try (Connection c = replica.connect("postgres", TestDatabase.TEST_APP_NAME);
             PreparedStatement ps = c.prepareStatement("SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn")) {
            ps.setString(1, target);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new AssertionError("the replica did not replay the primary's WAL up to " + target + " within 30 s");
    }

    @Override
    public void close() throws IOException, SQLException {
        replica.stop();
        if (primary.isRunning()) {
            try (Connection c = primary.connect("postgres", TestDatabase.TEST_APP_NAME);
                 PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                         + " WHERE slot_name = ?")) {
                ps.setString(1, slot);
                ps.execute();
            }
        }
        if (System.getenv("TMIDB_KEEP_TEST_CLUSTER") == null) {
            try (Stream<Path> files = Files.walk(baseDir)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
