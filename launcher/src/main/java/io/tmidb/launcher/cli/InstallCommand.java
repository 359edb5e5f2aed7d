// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.ExtensionFiles;
import io.tmidb.cluster.PgInstallation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code tmictl install}: the tmidb extension into a PostgreSQL 15+ that already runs elsewhere
 * (its files into that server's extension directory, as {@code make install} would), and, given
 * a connection string, {@code CREATE EXTENSION tmidb CASCADE} in a database of it.
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = "Install the tmidb extension into an existing PostgreSQL 15+ (run as root, or as the owner of its files).")
final class InstallCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--pg-bindir", paramLabel = "DIR", description = "That PostgreSQL's bin directory (default: newest /usr/lib/postgresql/N/bin).")
    Path pgBinDir;

    @Option(names = "--create-in", paramLabel = "CONNINFO",
            description = "Also create the extension in this database, e.g. 'postgresql://admin@db.example:5432/app' (libpq's PGPASSWORD etc. apply).")
    String conninfo;

    @Override
    public Integer call() throws Exception {
        PgInstallation pg = PgInstallation.locate(Optional.ofNullable(pgBinDir));
        List<String> written = ExtensionFiles.install(pg);
        var out = spec.commandLine().getOut();
        out.printf("install: extension files in %s (%s)%n", pg.extensionDir(), written.isEmpty() ? "already current" : String.join(", ", written));
        if (conninfo == null) {
            out.println("install: now run CREATE EXTENSION tmidb CASCADE in your database (or pass --create-in)");
            return ExitCodes.OK;
        }
        Process p = new ProcessBuilder(pg.program("psql"), "-X", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                "-c", "CREATE EXTENSION IF NOT EXISTS tmidb CASCADE", "-c", "SELECT extversion FROM pg_extension WHERE extname = 'tmidb'")
                .inheritIO().start();
        return p.waitFor() == 0 ? ExitCodes.OK : ExitCodes.ERROR;
    }
}
