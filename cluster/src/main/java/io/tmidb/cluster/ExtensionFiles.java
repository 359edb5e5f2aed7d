// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tmidb extension's control file and scripts, shipped as classpath resources under
 * {@value #RESOURCE_DIR}/ (module tmidb-extension), and their installation into a server's
 * extension directory, as {@code make install} would do.
 */
public final class ExtensionFiles {
    static final String RESOURCE_DIR = "tmidb-extension";

    private ExtensionFiles() {
    }

    /**
     * Copies every file of the extension into the installation's extension directory, rewriting
     * only files whose content differs. Returns the names of the files written.
     */
    public static List<String> install(PgInstallation pg) {
        List<String> written = new ArrayList<>();
        Path target = pg.extensionDir();
        for (Map.Entry<String, byte[]> f : read().entrySet()) {
            Path dest = target.resolve(f.getKey());
            try {
                if (Files.isSymbolicLink(dest)) {
                    Files.delete(dest); // a link into another installation: never write through it
                } else if (Files.exists(dest) && Arrays.equals(Files.readAllBytes(dest), f.getValue())) {
                    continue;
                }
                Files.write(dest, f.getValue());
                written.add(f.getKey());
            } catch (AccessDeniedException e) {
                throw new ClusterException("cannot write the extension into " + target,
                        "Run as root (the directory belongs to the PostgreSQL package).", e);
            } catch (IOException e) {
                throw new ClusterException("cannot write " + dest + ": " + e, "Check the directory's permissions.", e);
            }
        }
        return written;
    }

    /** File name to content, for every file under {@value #RESOURCE_DIR}/. */
    static Map<String, byte[]> read() {
        URL control = ExtensionFiles.class.getClassLoader().getResource(RESOURCE_DIR + "/tmidb.control");
        if (control == null) {
            throw new ClusterException("the tmidb extension files are not on the classpath",
                    "Build tmiDB with 'mvn package' (module extension).");
        }
        try {
            if ("jar".equals(control.getProtocol())) {
                try (FileSystem jar = FileSystems.newFileSystem(control.toURI(), Map.of())) {
                    return readDir(jar.getPath(RESOURCE_DIR));
                }
            }
            return readDir(Path.of(control.toURI()).getParent());
        } catch (IOException | URISyntaxException e) {
            throw new ClusterException("cannot read the extension files from " + control + ": " + e, "", e);
        }
    }

    private static Map<String, byte[]> readDir(Path dir) throws IOException {
        Map<String, byte[]> files = new java.util.TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                try (InputStream in = Files.newInputStream(p)) {
                    files.put(p.getFileName().toString(), in.readAllBytes());
                }
            }
        }
        return files;
    }
}
