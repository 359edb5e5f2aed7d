// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The PostgreSQL server installation tmiDB runs on: its programs and its share directory.
 *
 * @param binDir where initdb, pg_ctl, postgres and pg_config live
 * @param shareDir {@code pg_config --sharedir}: extension files go to its {@code extension/} folder
 * @param majorVersion the server's major version, at least 15
 */
public record PgInstallation(Path binDir, Path shareDir, int majorVersion) {
    public static final int MIN_MAJOR = 15;
    private static final Path DEBIAN_ROOT = Path.of("/usr/lib/postgresql");

    /**
     * Finds the installation: {@code binDir} when given, else the newest Debian-style
     * {@code /usr/lib/postgresql/N/bin} with N at least {@value #MIN_MAJOR}.
     */
    public static PgInstallation locate(Optional<Path> binDir) {
        Path bin = binDir.orElseGet(PgInstallation::newestDebianBinDir);
        Path pgConfig = bin.resolve("pg_config");
        if (!Files.isExecutable(pgConfig)) {
            throw new ClusterException("no PostgreSQL programs in " + bin,
                    "Install PostgreSQL " + MIN_MAJOR + "+ (Debian: apt-get install postgresql-15 postgresql-contrib)"
                            + " or set pg-bindir (TMIDB_PG_BINDIR) to its bin directory.");
        }
        Duration t = Duration.ofSeconds(30);
        Path share = Path.of(Exec.check(List.of(pgConfig.toString(), "--sharedir"), Map.of(), t, "").strip());
        String version = Exec.check(List.of(pgConfig.toString(), "--version"), Map.of(), t, "").strip();
        int major = Integer.parseInt(version.replaceAll("^PostgreSQL (\\d+).*$", "$1"));
        if (major < MIN_MAJOR) {
            throw new ClusterException("tmiDB needs PostgreSQL " + MIN_MAJOR + " or newer, found " + version,
                    "Install postgresql-15 and set pg-bindir (TMIDB_PG_BINDIR) to its bin directory.");
        }
        return new PgInstallation(bin, share, major);
    }

    /**
     * A private copy of this installation under {@code root}, for test runs that must not touch
     * (or race on) the system's extension directory: the programs are copied (PostgreSQL finds
     * its share and library directories relative to the real path of its executable), libraries
     * and share files are linked, and the extension directory is a directory of links that
     * {@link ExtensionFiles#install} can add to.
     */
    public PgInstallation isolatedCopy(Path root) {
        Path pkgLib = Path.of(Exec.check(List.of(program("pg_config"), "--pkglibdir"), Map.of(),
                Duration.ofSeconds(30), "").strip());
        // extensions read configuration there (PL/Java its security policy)
        Path sysConf = Path.of(Exec.check(List.of(program("pg_config"), "--sysconfdir"), Map.of(),
                Duration.ofSeconds(30), "").strip());
        Path bin = under(root, binDir);
        Path share = under(root, shareDir);
        try {
            Files.createDirectories(bin);
            for (Path p : list(binDir)) {
                Files.copy(p, bin.resolve(p.getFileName()), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
            linkEntries(pkgLib, under(root, pkgLib), "");
            if (Files.isDirectory(sysConf)) {
                linkEntries(sysConf, under(root, sysConf), "");
            }
            linkEntries(shareDir, share, "extension");
            linkEntries(extensionDir(), share.resolve("extension"), "");
        } catch (IOException e) {
            throw new ClusterException("cannot copy the PostgreSQL installation to " + root + ": " + e, "", e);
        }
        return new PgInstallation(bin, share, majorVersion);
    }

    private static Path under(Path root, Path absolute) {
        return root.resolve(absolute.toString().substring(1));
    }

    private static void linkEntries(Path from, Path to, String except) throws IOException {
        Files.createDirectories(to);
        for (Path p : list(from)) {
            if (!p.getFileName().toString().equals(except)) {
                Files.createSymbolicLink(to.resolve(p.getFileName()), p);
            }
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.toList();
        }
    }

    /** The path of one of the installation's programs. */
    public String program(String name) {
        return binDir.resolve(name).toString();
    }

    public Path extensionDir() {
        return shareDir.resolve("extension");
    }

    /** Whether the extension's control file is installed, i.e. CREATE EXTENSION can find it. */
    public boolean hasExtension(String name) {
        return Files.exists(extensionDir().resolve(name + ".control"));
    }

    private static Path newestDebianBinDir() {
        try (Stream<Path> versions = Files.list(DEBIAN_ROOT)) {
            return versions.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> Integer.parseInt(p.getFileName().toString()) >= MIN_MAJOR)
                    .filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
                    .map(p -> p.resolve("bin"))
                    .orElse(DEBIAN_ROOT.resolve(MIN_MAJOR + "/bin"));
        } catch (IOException e) {
            return DEBIAN_ROOT.resolve(MIN_MAJOR + "/bin");
        }
    }
}
