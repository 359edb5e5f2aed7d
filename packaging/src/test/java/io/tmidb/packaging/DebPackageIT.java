// SPDX-License-Identifier: MIT
package io.tmidb.packaging;

import com.sun.security.auth.module.UnixSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The .deb as an operator uses it: installed with dpkg on this machine, a node created and started
 * with the installed tmidbd (the server running as the package's tmidb user, on the system's
 * PostgreSQL 15 with the extension the package installed), the README's SQL tour run through the
 * installed tmictl, and a purge that leaves nothing behind. Needs root and dpkg; skipped otherwise.
 * Extension files that were in PostgreSQL's extension directory before the install (written there
 * by a tmidbd run from a source checkout) are put back after the purge.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class DebPackageIT {
    private static final Path DEB = Path.of(System.getProperty("tmidb.deb"));
    private static final Path SOURCE = Path.of(System.getProperty("tmidb.source.root")).normalize();
    private static final String PACKAGE = "tmidb-engine";
    private static final Path VAR_LIB = Path.of("/var/lib/tmidb");
    private static final Path DATA_DIR = VAR_LIB.resolve("test-data");
    private static final Path EXTENSION_DIR = Path.of("/usr/share/postgresql/15/extension");
    private static final List<Path> EXTENSION_FILES =
            List.of(EXTENSION_DIR.resolve("tmidb.control"), EXTENSION_DIR.resolve("tmidb--0.1.sql"),
                    EXTENSION_DIR.resolve("tmidb--0.2.sql"), EXTENSION_DIR.resolve("tmidb--0.1--0.2.sql"));
    private static final Path UNIT = Path.of("/lib/systemd/system/tmidbd.service");
    private static final Path SYSTEMD_ANALYZE = Path.of("/usr/bin/systemd-analyze");
    private static final List<Path> INSTALLED = List.of(Path.of("/usr/bin/tmidbd"), Path.of("/usr/bin/tmictl"),
            Path.of("/usr/lib/tmidb"), Path.of("/etc/tmidb"), Path.of("/usr/share/tmidb"),
            Path.of("/usr/share/postgresql/15/tmidb"), Path.of("/usr/share/doc/tmidb-engine"), UNIT, VAR_LIB,
            EXTENSION_FILES.get(0), EXTENSION_FILES.get(1));
    private static final Map<String, String> NODE_ENV = Map.of("TMIDB_OS_USER", "tmidb");
    private static final Duration DPKG_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration NODE_TIMEOUT = Duration.ofMinutes(3);

    @Test
    void installsRunsTheTourAndPurgesCleanly(@TempDir Path tmp) throws Exception {
        assumeTrue(new UnixSystem().getUid() == 0, "installing a .deb needs root (CI runs as root)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "dpkg is not installed: not a Debian system");
        assumeFalse(Files.exists(VAR_LIB) || Command.run(Duration.ofSeconds(30), "id", "tmidb").ok(),
                VAR_LIB + " or the OS user tmidb exists already: purging the package would delete a tmiDB"
                        + " installation this test did not make (remove it with 'dpkg --purge tmidb-engine')");
        Map<Path, byte[]> preexisting = new LinkedHashMap<>();
        for (Path f : EXTENSION_FILES) {
            if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                preexisting.put(f, Files.readAllBytes(f));
            }
        }

        Command purge;
        List<Path> left = new ArrayList<>();
        boolean userLeft;
        boolean started = false;
        try {
            Command install = Command.run(DPKG_TIMEOUT, "dpkg", "-i", DEB.toString());
            assertEquals(0, install.exitCode(), "dpkg -i failed (missing dependencies?):\n" + install.output());
            checkInstalledPackage();

            int port = freePort();
            Command init = tmidbd("init", "-D", DATA_DIR.toString(), "-p", String.valueOf(port));
            assertEquals(0, init.exitCode(), init.output());
            assertEquals("tmidb", Files.getOwner(DATA_DIR).getName(), "the server's OS user owns the data directory");

            started = true;
            Command start = tmidbd("start", "-D", DATA_DIR.toString());
            assertEquals(0, start.exitCode(), start.output());
            assertTrue(start.output().contains("=== tmiDB 0.2 ready ==="), start.output());
            assertTrue(start.output().contains("localhost:" + port), start.output());

            runTour(tmp);

            Command stop = tmidbd("stop", "-D", DATA_DIR.toString());
            assertEquals(0, stop.exitCode(), stop.output());
            assertTrue(stop.output().contains("tmidbd: stopped"), stop.output());
            started = false;
        } finally {
            if (started) {
                tmidbd("stop", "-D", DATA_DIR.toString());
            }
            purge = Command.run(DPKG_TIMEOUT, "dpkg", "--purge", PACKAGE);
            for (Path p : INSTALLED) {
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    left.add(p);
                }
            }
            userLeft = Command.run(Duration.ofSeconds(30), "id", "tmidb").ok();
            for (Map.Entry<Path, byte[]> f : preexisting.entrySet()) {
                if (!Files.exists(f.getKey())) {
                    Files.write(f.getKey(), f.getValue());
                }
            }
        }
        assertEquals(0, purge.exitCode(), purge.output());
        assertEquals(List.of(), left, "files the purge left behind");
        assertFalse(userLeft, "the purge left the OS user tmidb");
        assertFalse(Command.run(Duration.ofSeconds(30), "getent", "group", "tmidb").ok(), "the purge left the group tmidb");
        Command status = Command.run(Duration.ofSeconds(30), "dpkg", "-s", PACKAGE);
        assertTrue(status.exitCode() != 0 || !status.output().contains("Status: install"), status.output());
    }

    /** What dpkg knows of the package, and what postinst made. */
    private static void checkInstalledPackage() throws IOException, InterruptedException {
        Command status = Command.run(Duration.ofSeconds(30), "dpkg", "-s", PACKAGE);
        assertEquals(0, status.exitCode(), status.output());
        String s = status.output();
        assertTrue(s.contains("Status: install ok installed"), s);
        assertTrue(s.contains("\nDescription: tmiDB Core (PostgreSQL-based) Database Server\n"), s);
        assertTrue(s.contains("\nDepends: postgresql-15, postgresql-contrib, openjdk-17-jre-headless | java17-runtime-headless"), s);
        assertTrue(s.contains("\nRecommends: nats-server\n"), s);
        assertTrue(s.contains("\nConffiles:\n /etc/tmidb/tmidb.conf "), s);

        assertTrue(Files.readString(UNIT).contains("\nDescription=tmiDB Database Engine\n"), "unit file " + UNIT);
        if (Files.isExecutable(SYSTEMD_ANALYZE)) { // works without a running systemd, as here
            Command verify = Command.run(Duration.ofSeconds(60), SYSTEMD_ANALYZE.toString(), "verify", UNIT.toString());
            assertEquals(0, verify.exitCode(), verify.output());
        }
        assertTrue(Files.isSymbolicLink(Path.of("/usr/bin/tmidbd")), "/usr/bin/tmidbd links into /usr/lib/tmidb");
        assertTrue(Files.isRegularFile(Path.of("/usr/share/postgresql/15/tmidb/tmidb-stored.jar")));
        for (Path f : EXTENSION_FILES) {
            assertTrue(Files.isRegularFile(f), f + " installed");
        }
        assertTrue(Command.run(Duration.ofSeconds(30), "id", "tmidb").ok(), "postinst creates the OS user tmidb");
        assertEquals("tmidb", Files.getOwner(VAR_LIB).getName(), "postinst hands " + VAR_LIB + " to tmidb");
    }

    /** The demo data set the package ships, then the README's tour, through the installed tmictl psql. */
    private static void runTour(Path tmp) throws IOException, InterruptedException {
        Command demo = tmictlPsql("-v", "ON_ERROR_STOP=1", "-q", "-f", "/usr/share/tmidb/demo.sql");
        assertEquals(0, demo.exitCode(), demo.output());

        Matcher m = Pattern.compile("## A tour in SQL.*?```sql\\n(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(SOURCE.resolve("README.md")));
        assertTrue(m.find(), "README.md has no SQL tour");
        Path tour = Files.writeString(tmp.resolve("tour.sql"), m.group(1));
        Command run = tmictlPsql("-f", tour.toString());
        assertEquals(0, run.exitCode(), run.output());
        // the one deliberate mistake at the end is the only error
        assertEquals(1, run.output().split("ERROR:", -1).length - 1, run.output());
        assertTrue(run.output().contains("ERROR:  lat and lon must be given together"), run.output());
    }

    private static Command tmidbd(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/tmidbd"));
        command.addAll(List.of(args));
        return Command.run(command, NODE_ENV, NODE_TIMEOUT);
    }

    private static Command tmictlPsql(String... psqlArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/tmictl", "psql", "-D", DATA_DIR.toString(), "--"));
        command.addAll(List.of(psqlArgs));
        return Command.run(command, NODE_ENV, NODE_TIMEOUT);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
