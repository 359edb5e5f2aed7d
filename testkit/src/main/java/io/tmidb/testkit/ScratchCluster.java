// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.ExtensionFiles;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A throw-away tmiDB cluster in a temporary directory on a free port, created exactly as
 * {@code tmidbd init} and {@code start} do, on a private copy of the PostgreSQL installation into
 * which the extension is installed from the build output.
 * Set {@code TMIDB_KEEP_TEST_CLUSTER=1} to keep its directory (and server log) after the run.
 */
public final class ScratchCluster implements AutoCloseable {
    private final Path baseDir;
    private final Cluster cluster;

    private ScratchCluster(Path baseDir, Cluster cluster) {
        this.baseDir = baseDir;
        this.cluster = cluster;
    }

    public static ScratchCluster start() {
        try {
            ServerUser user = ServerUser.forCurrentProcess("postgres");
            Path base = Files.createTempDirectory("tmidb-test-");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            // a private copy, so that concurrent test runs of other checkouts install their own extension files
            PgInstallation pg = PgInstallation.locate(Optional.ofNullable(System.getenv("TMIDB_PG_BINDIR")).map(Path::of))
                    .isolatedCopy(base.resolve("pg"));
            Path data = base.resolve("cluster");
            Files.createDirectories(data);
            user.own(data);
            Cluster cluster = Cluster.create(data.resolve("data"), freePort(), pg, user);
            cluster.init(Node.serverSettings(pg));
            ExtensionFiles.install(pg);
            cluster.start();
            // a test JVM that is stopped early (timeout, Ctrl-C) must not leave its server running
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "tmidb-scratch-cluster-stop"));
            return new ScratchCluster(base, cluster);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Cluster cluster() {
        return cluster;
    }

    /** A new database with the tmidb extension (on a hypertable when {@code timescale}). */
    public TestDatabase createDatabase(String name, boolean timescale) throws SQLException {
        Node.prepareDatabase(cluster, name, timescale);
        return new TestDatabase(this, name);
    }

    @Override
    public void close() throws IOException {
        cluster.stop();
        if (System.getenv("TMIDB_KEEP_TEST_CLUSTER") == null) {
            try (Stream<Path> files = Files.walk(baseDir)) { // walk does not follow the links into the system
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
