// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import com.sun.security.auth.module.UnixSystem;
import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Options naming the node a command works on. Each is a setting ({@link io.tmidb.settings.Setting}):
 * its help text, default and check are the setting's, and when the command line does not give it,
 * it comes from {@code TMIDB_<KEY>} or tmidb.conf (see {@link ConfigDefaults}).
 */
public final class NodeOptions {
    @Option(names = {"-D", "--data-dir"}, paramLabel = "DIR")
    Path dataDir;

    @Option(names = {"-p", "--port"})
    int port;

    @Option(names = {"-d", "--database"})
    String database;

    @Option(names = "--os-user")
    String osUser;

    @Option(names = "--pg-bindir", paramLabel = "DIR")
    Path pgBinDir;

    Path dataDir() {
        if (dataDir != null) {
            return dataDir;
        }
        return new UnixSystem().getUid() == 0 ? Path.of("/var/lib/tmidb/data")
                : Path.of(System.getProperty("user.home"), "tmidb", "data");
    }

    PgInstallation installation() {
        return PgInstallation.locate(Optional.ofNullable(pgBinDir));
    }

    ServerUser serverUser() {
        return ServerUser.forCurrentProcess(osUser);
    }

    /** A new cluster in the data directory, with the extension files installed. */
    Cluster initCluster() {
        PgInstallation pg = installation();
        Cluster cluster = Cluster.create(dataDir(), port, pg, serverUser());
        cluster.init(Node.serverSettings(pg));
        io.tmidb.cluster.ExtensionFiles.install(pg);
        return cluster;
    }

    /** A new streaming replica in the data directory (see {@link Cluster#initReplica}), with the extension files installed. */
    Cluster initReplica(String host, int primaryPort, String slot, String password) {
        PgInstallation pg = installation();
        Cluster cluster = Cluster.create(dataDir(), port, pg, serverUser());
        cluster.initReplica(host, primaryPort, slot, password);
        io.tmidb.cluster.ExtensionFiles.install(pg);
        return cluster;
    }

    /** The node's existing cluster. */
    Cluster openCluster() {
        return Cluster.open(dataDir(), installation(), serverUser());
    }

    /** A superuser connection to the node's tmiDB database, as tmictl (application_name tmiDB-CLI). */
    java.sql.Connection connect() throws java.sql.SQLException {
        return openCluster().connect(database, TmictlCommand.CLI_APP_NAME);
    }
}
