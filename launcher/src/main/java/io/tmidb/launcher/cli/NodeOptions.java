// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import com.sun.security.auth.module.UnixSystem;
import io.tmidb.cluster.Node;
import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.PgInstallation;
import io.tmidb.cluster.ServerUser;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Options naming the node a command works on. Each may also come from its environment variable
 * ({@code TMIDB_<KEY>}) or the configuration file (see {@link ConfigDefaults}); the command line wins.
 */
public final class NodeOptions {
    @Option(names = {"-D", "--data-dir"}, paramLabel = "DIR",
            description = "Data directory (env TMIDB_DATA_DIR; default /var/lib/tmidb/data as root, ~/tmidb/data otherwise).")
    Path dataDir;

    @Option(names = {"-p", "--port"}, defaultValue = "5432",
            description = "Port for a new cluster (env TMIDB_PORT; default ${DEFAULT-VALUE}). An existing cluster keeps its own.")
    int port;

    @Option(names = {"-d", "--database"}, defaultValue = Node.DEFAULT_DATABASE,
            description = "Database holding tmiDB (env TMIDB_DATABASE; default ${DEFAULT-VALUE}).")
    String database;

    @Option(names = "--os-user", defaultValue = "postgres",
            description = "Unprivileged OS user that runs the server when started as root (env TMIDB_OS_USER; default ${DEFAULT-VALUE}).")
    String osUser;

    @Option(names = "--pg-bindir", paramLabel = "DIR",
            description = "PostgreSQL's bin directory (env TMIDB_PG_BINDIR; default: newest /usr/lib/postgresql/N/bin).")
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

    /** The node's existing cluster. */
    Cluster openCluster() {
        return Cluster.open(dataDir(), installation(), serverUser());
    }

    /** A superuser connection to the node's tmiDB database, as tmictl (application_name tmiDB-CLI). */
    java.sql.Connection connect() throws java.sql.SQLException {
        return openCluster().connect(database, TmictlCommand.CLI_APP_NAME);
    }
}
