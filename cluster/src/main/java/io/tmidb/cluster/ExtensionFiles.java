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
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The tmidb extension's control file and scripts, shipped as classpath resources under
 * {@value #RESOURCE_DIR}/ (module tmidb-extension), and their installation into a server's
 * extension directory, as {@code make install} would do; with them the stored logic's jar, from
 * the class path too, where {@code tmi.use_host('pljava')} loads it ({@link #storedLogicJar}).
 */
public final class ExtensionFiles {
    static final String RESOURCE_DIR = "tmidb-extension";
    /** A class of the stored logic (module tmidb-stored), to find its jar on the class path. */
    private static final String STORED_LOGIC_CLASS = "io/tmidb/stored/PlJavaEntry.class";

    private ExtensionFiles() {
    }

    /**
     * Copies every file of the extension into the installation's extension directory, and the
     * stored logic's jar when it is on the class path (an installation's lib/, a build's
     * target/lib), rewriting only files whose content differs. Returns the names of the files written.
     */
    public static List<String> install(PgInstallation pg) {
        List<String> written = new ArrayList<>();
        for (Map.Entry<String, byte[]> f : read().entrySet()) {
            if (write(pg.extensionDir().resolve(f.getKey()), f.getValue())) {
                written.add(f.getKey());
            }
        }
        Optional<Path> jar = storedLogicOnClassPath();
        if (jar.isPresent() && installStoredLogic(pg, jar.get())) {
            written.add(pg.shareDir().relativize(storedLogicJar(pg)).toString());
        }
        return written;
    }

    /** Where {@code tmi.use_host('pljava')} loads the stored logic from: SHAREDIR/tmidb/tmidb-stored.jar. */
    public static Path storedLogicJar(PgInstallation pg) {
        return pg.shareDir().resolve("tmidb").resolve("tmidb-stored.jar");
    }

    /** Puts {@code jar} where {@code tmi.use_host('pljava')} loads it; answers whether it was written. */
    public static boolean installStoredLogic(PgInstallation pg, Path jar) {
        Path dest = storedLogicJar(pg);
        try {
            if (Files.isSymbolicLink(dest.getParent())) {
                Files.delete(dest.getParent()); // a private copy's link into the system's share directory
            }
            Files.createDirectories(dest.getParent());
            return write(dest, Files.readAllBytes(jar));
        } catch (AccessDeniedException e) {
            throw new ClusterException("cannot write the stored logic's jar into " + dest.getParent(),
                    "Run as root (the directory belongs to the PostgreSQL package).", e);
        } catch (IOException e) {
            throw new ClusterException("cannot write " + dest + ": " + e, "Check the directory's permissions.", e);
        }
    }

    /** The stored logic's jar on the class path; empty where it is not there, or not as a jar (an IDE's classes). */
    static Optional<Path> storedLogicOnClassPath() {
        URL url = ExtensionFiles.class.getClassLoader().getResource(STORED_LOGIC_CLASS);
        if (url == null || !"jar".equals(url.getProtocol())) {
            return Optional.empty();
        }
        String file = url.getPath(); // file:/.../tmidb-stored-0.1.0.jar!/io/tmidb/...
        try {
            return Optional.of(Path.of(new java.net.URI(file.substring(0, file.indexOf("!/")))));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Writes {@code content} unless {@code dest} holds it already; never through a link into another installation. */
    private static boolean write(Path dest, byte[] content) {
        try {
            if (Files.isSymbolicLink(dest)) {
                Files.delete(dest);
            } else if (Files.exists(dest) && Arrays.equals(Files.readAllBytes(dest), content)) {
                return false;
            }
            Files.write(dest, content);
            return true;
        } catch (AccessDeniedException e) {
            throw new ClusterException("cannot write the extension into " + dest.getParent(),
                    "Run as root (the directory belongs to the PostgreSQL package).", e);
        } catch (IOException e) {
            throw new ClusterException("cannot write " + dest + ": " + e, "Check the directory's permissions.", e);
        }
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
