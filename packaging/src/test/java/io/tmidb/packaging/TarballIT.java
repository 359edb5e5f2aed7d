// SPDX-License-Identifier: MIT
package io.tmidb.packaging;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tarball unpacks into a working installation home: bin/ beside lib/, and the files it ships. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TarballIT {
    private static final Path TARBALL = Path.of(System.getProperty("tmidb.tarball"));
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void unpacksIntoARunnableHome(@TempDir Path dir) throws Exception {
        Command untar = Command.run(TIMEOUT, "tar", "-xzf", TARBALL.toString(), "-C", dir.toString());
        assertEquals(0, untar.exitCode(), untar.output());
        Path home = dir.resolve("tmidb-0.1.0");

        for (String file : List.of("bin/tmidbd", "bin/tmictl", "bin/tmidb-java")) {
            assertTrue(Files.isExecutable(home.resolve(file)), file + " is missing or not executable");
        }
        for (String file : List.of("lib/tmidb-launcher-0.1.0.jar", "lib/tmidb-worker-0.1.0.jar",
                "lib/tmidb-stored-0.1.0.jar", "lib/tmidb-extension-0.1.0.jar", "lib/picocli-4.7.7.jar", "lib/tmidb-files-0.1.0.jar",
                "lib/s3server/s3proxy-4.1.0.jar", "lib/s3server/tmidb-s3server-0.1.0.jar",
                "share/postgresql/extension/tmidb.control", "share/postgresql/extension/tmidb--0.1.sql",
                "share/postgresql/extension/tmidb--0.2.sql", "share/postgresql/extension/tmidb--0.1--0.2.sql",
                "share/postgresql/tmidb/tmidb-stored.jar", "share/psqlrc", "share/demo.sql",
                "etc/tmidb.conf", "systemd/tmidbd.service", "doc/packaging.md", "doc/LICENSE")) {
            assertTrue(Files.isRegularFile(home.resolve(file)), file + " is missing");
        }
        assertTrue(Files.readString(home.resolve("systemd/tmidbd.service")).contains("Description=tmiDB Database Engine"));
        assertTrue(Files.readString(home.resolve("etc/tmidb.conf")).contains("\nos-user = tmidb\n"));

        Command version = Command.run(TIMEOUT, home.resolve("bin/tmictl").toString(), "--version");
        assertEquals(0, version.exitCode(), version.output());
        assertEquals("tmictl 0.2", version.output().strip());
    }

    @Test
    void commandsFindTheirHomeThroughASymlink(@TempDir Path dir) throws Exception {
        Command untar = Command.run(TIMEOUT, "tar", "-xzf", TARBALL.toString(), "-C", dir.toString());
        assertEquals(0, untar.exitCode(), untar.output());
        Path link = Files.createSymbolicLink(dir.resolve("tmidbd"), dir.resolve("tmidb-0.1.0/bin/tmidbd"));

        Command version = Command.run(TIMEOUT, link.toString(), "--version");
        assertEquals(0, version.exitCode(), version.output());
        assertEquals("tmidbd 0.2", version.output().strip());
    }
}
