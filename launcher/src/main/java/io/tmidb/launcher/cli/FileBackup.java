// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.ClusterException;
import io.tmidb.cluster.EmbeddedS3;
import io.tmidb.files.Copied;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.Sha256;
import io.tmidb.files.StoreConfig;
import io.tmidb.launcher.node.ObjectStoreOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The files part of a backup. The objects of the node's embedded store are copied into
 * {@code objects/} (one file per object, numbered) and listed with their key, size, SHA-256 and media
 * type in {@code objects.tsv}; restore checks each copy against that list and puts it back with its
 * SHA-256 as the upload's checksum, which the store verifies. An external store's objects are not
 * in the backup, and backup says so.
 */
final class FileBackup {
    static final String OBJECTS = "objects";
    static final String OBJECTS_MANIFEST = "objects.tsv";

    private FileBackup() {
    }

    static void backup(Path dataDir, ObjectStoreOptions options, Path dir, PrintWriter out) throws IOException {
        if (options.external()) {
            out.printf("backup: files: the objects are in the external store %s (bucket %s) and are NOT in this backup;"
                    + " back them up with that store's own tools%n", options.endpoint(), options.bucket());
            return;
        }
        Optional<ObjectStore> embedded = embedded(dataDir, options);
        if (embedded.isEmpty()) {
            out.println("backup: files: this node has no embedded object store");
            return;
        }
        Path objects = Files.createDirectories(dir.resolve(OBJECTS));
        List<String> lines = new ArrayList<>();
        long bytes = 0;
        try (ObjectStore store = embedded.get()) {
            int n = 0;
            for (String key : store.bucketExists() ? store.list("") : List.<String>of()) {
                Copied c = store.download(key, objects.resolve(String.valueOf(++n)));
                lines.add(n + "\t" + c.size() + "\t" + c.sha256() + "\t" + c.contentType() + "\t" + c.key());
                bytes += c.size();
            }
        }
        Files.write(dir.resolve(OBJECTS_MANIFEST), lines);
        out.printf("backup: files: %d objects, %d bytes from the embedded store, with their SHA-256 in %s%n",
                lines.size(), bytes, OBJECTS_MANIFEST);
    }

    static void restore(Path dataDir, ObjectStoreOptions options, Path dir, PrintWriter out) throws IOException {
        Path manifest = dir.resolve(OBJECTS_MANIFEST);
        if (!Files.exists(manifest)) {
            out.println("restore: files: the backup holds no objects");
            return;
        }
        List<String> lines = Files.readAllLines(manifest);
        List<Copied> objects = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\t", 5);
            Copied c = new Copied(f[4], Long.parseLong(f[1]), f[2], f[3]);
            Path copy = dir.resolve(OBJECTS).resolve(f[0]);
            String sha = sha256(copy);
            if (Files.size(copy) != c.size() || !sha.equals(c.sha256())) {
                throw new ClusterException("the backup's copy of object " + c.key() + " is damaged: " + Files.size(copy) + " bytes, SHA-256 "
                        + sha + "; the manifest says " + c.size() + " bytes, " + c.sha256(), "Restore from another backup.");
            }
            objects.add(c);
        }
        if (options.external() && !lines.isEmpty()) {
            out.printf("restore: files: putting %d objects into the external store %s (bucket %s)%n", lines.size(),
                    options.endpoint(), options.bucket());
        }
        Optional<ObjectStore> target = options.external() ? Optional.of(external(options)) : embedded(dataDir, options);
        if (target.isEmpty()) {
            throw new ClusterException("the backup holds " + lines.size() + " objects, but this node has no object store",
                    "Start the node (tmidbd start), which runs its embedded store, and restore again.");
        }
        try (ObjectStore store = target.get()) {
            store.ensureBucket();
            for (int i = 0; i < objects.size(); i++) {
                store.upload(objects.get(i), dir.resolve(OBJECTS).resolve(lines.get(i).split("\t", 2)[0]));
            }
        }
        out.printf("restore: files: verified %d objects (sizes and SHA-256 match the backup)%n", objects.size());
    }

    /** The node's embedded store as its last start configured it, if it has one. */
    private static Optional<ObjectStore> embedded(Path dataDir, ObjectStoreOptions options) throws IOException {
        Path properties = dataDir.resolve(EmbeddedS3.PROPERTIES_FILE);
        if (!Files.exists(properties)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(properties)) {
            p.load(in);
        }
        EmbeddedS3.Credentials keys = EmbeddedS3.credentials(dataDir);
        return Optional.of(new ObjectStore(new StoreConfig(URI.create(p.getProperty("s3proxy.endpoint")), options.region(),
                options.bucket(), keys.accessKey(), keys.secretKey(), true)));
    }

    private static ObjectStore external(ObjectStoreOptions o) {
        return new ObjectStore(new StoreConfig(URI.create(o.endpoint()), o.region(), o.bucket(), o.accessKey(), o.secretKey(),
                o.pathStyle()));
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md = Sha256.digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) {
                md.update(buf, 0, r);
            }
        }
        return Sha256.hex(md.digest());
    }
}
