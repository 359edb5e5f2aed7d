// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The node's embedded object store: S3Proxy with a filesystem store in {@code <data dir>/objects},
 * run from the class path of the {@code s3server} module ({@code lib/s3server} beside the
 * launcher's jar when installed, {@code s3server/target/lib} in a built checkout, or
 * {@code TMIDB_S3SERVER_LIB}) as a process of its own, on 127.0.0.1 only. Its key pair is made
 * once, when the node is created, and kept in {@code <data dir>/s3.credentials} (mode 0600):
 * nothing lists or prints it. The same code starts it for {@code tmidbd run} and for tests.
 */
public final class EmbeddedS3 {
    public static final String CREDENTIALS_FILE = "s3.credentials";
    public static final String PROPERTIES_FILE = "s3proxy.properties";
    public static final String STORE_DIR = "objects";
    public static final String MAIN = "org.gaul.s3proxy.Main";
    private static final SecureRandom RANDOM = new SecureRandom();

    private EmbeddedS3() {
    }

    /** An access key pair of the embedded store. {@link #toString()} hides the secret. */
    public record Credentials(String accessKey, String secretKey) {
        @Override
        public String toString() {
            return "Credentials[" + accessKey + ", ****]";
        }
    }

    /** The key pair kept in {@code dir}, made and written (0600) when there is none yet. */
    public static Credentials credentials(Path dir) {
        Path file = dir.resolve(CREDENTIALS_FILE);
        try {
            if (!Files.exists(file)) {
                ServerUser.writePrivate(file, "access-key = tmidb-" + hex(8) + "\nsecret-key = " + hex(32) + "\n");
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            return new Credentials(p.getProperty("access-key"), p.getProperty("secret-key"));
        } catch (IOException e) {
            throw new ClusterException("cannot read or create " + file + ": " + e, "Check the data directory's permissions.", e);
        }
    }

    /** The endpoint clients reach the store at. */
    public static String endpoint(int port) {
        return "http://127.0.0.1:" + port;
    }

    /**
     * The command that runs the store on {@code port} with its objects in {@code storeDir}; writes
     * its configuration (0600: it holds the key pair) to {@code propertiesFile}.
     */
    public static List<String> command(String java, Path lib, Path propertiesFile, Path storeDir, int port, Credentials keys) {
        Properties p = new Properties();
        p.putAll(Map.of(
                "s3proxy.endpoint", endpoint(port),
                "s3proxy.authorization", "aws-v2-or-v4",
                "s3proxy.identity", keys.accessKey(),
                "s3proxy.credential", keys.secretKey(),
                "jclouds.provider", "filesystem",
                "jclouds.filesystem.basedir", storeDir.toString(),
                "jclouds.identity", keys.accessKey(),
                "jclouds.credential", keys.secretKey()));
        try {
            Files.createDirectories(storeDir);
            java.io.StringWriter text = new java.io.StringWriter();
            p.store(text, "the embedded object store of tmiDB, written by tmidbd at each start");
            ServerUser.writePrivate(propertiesFile, text.toString());
        } catch (IOException e) {
            throw new ClusterException("cannot write " + propertiesFile + ": " + e, "Check the data directory's permissions.", e);
        }
        return List.of(java, "-Xmx256m", "-cp", lib.resolve("*").toString(), MAIN, "--properties", propertiesFile.toString());
    }

    /** Where the store's class path is, if it is installed (see the class comment). */
    public static Optional<Path> lib() {
        String configured = Optional.ofNullable(System.getProperty("tmidb.s3server.lib")).orElse(System.getenv("TMIDB_S3SERVER_LIB"));
        if (configured != null) {
            return Optional.of(Path.of(configured)).filter(Files::isDirectory);
        }
        try {
            // installed: lib/s3server beside this jar; in the build tree: s3server/target/lib of the checkout,
            // which this class reaches from cluster/target/classes, cluster/target or launcher/target/lib
            Path at = Path.of(EmbeddedS3.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
            for (int up = 0; at != null && up < 4; up++, at = at.getParent()) {
                for (Path candidate : List.of(at.resolve("s3server").resolve("target").resolve("lib"), at.resolve("s3server"))) {
                    if (holdsS3Proxy(candidate)) {
                        return Optional.of(candidate);
                    }
                }
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static boolean holdsS3Proxy(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var jars = Files.list(dir)) {
            return jars.anyMatch(p -> p.getFileName().toString().startsWith("s3proxy-"));
        } catch (IOException e) {
            return false;
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
