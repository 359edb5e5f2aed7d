// SPDX-License-Identifier: MIT
package io.tmidb.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A launcher home made of this module's build, as an installation lays it out: {@code lib/} holds
 * links to the launcher's jar and its dependencies (and nothing else an earlier build left in
 * packaging/), and {@code lib/s3server} the embedded object store's class path where it was built.
 */
final class BuildHome {
    private BuildHome() {
    }

    /** Fills {@code home}; returns its {@code lib/} directory, to which a test may add more jars. */
    static Path create(Path home) throws IOException {
        Path lib = Files.createDirectories(home.resolve("lib"));
        try (Stream<Path> jars = Files.list(Path.of("target", "lib"))) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar.toAbsolutePath());
            }
        }
        try (Stream<Path> jars = Files.list(Path.of("target"))) {
            for (Path jar : (Iterable<Path>) jars.filter(p -> p.getFileName().toString().matches("tmidb-launcher-.*\\.jar"))::iterator) {
                Files.createSymbolicLink(lib.resolve(jar.getFileName()), jar.toAbsolutePath());
            }
        }
        Path s3server = Path.of("..", "s3server", "target", "lib").toAbsolutePath().normalize();
        if (Files.isDirectory(s3server)) {
            Files.createSymbolicLink(lib.resolve("s3server"), s3server);
        }
        return lib;
    }

    /** Deletes the temporary tree a node test made (its clusters, homes and copies), files first. */
    static void deleteTree(Path base) throws IOException {
        try (Stream<Path> files = Files.walk(base)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
