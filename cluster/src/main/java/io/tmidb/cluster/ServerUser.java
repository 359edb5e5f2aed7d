// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import com.sun.security.auth.module.UnixSystem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The OS user the PostgreSQL server runs as. PostgreSQL refuses to run as root, so when tmiDB is
 * started by root the server's programs run as an unprivileged user (via runuser) and own the data
 * directory; otherwise they run as the current user.
 */
public final class ServerUser {
    private final String switchTo;

    private ServerUser(String switchTo) {
        this.switchTo = switchTo;
    }

    /** @param unprivileged the user to switch to when running as root, e.g. {@code postgres} */
    public static ServerUser forCurrentProcess(String unprivileged) {
        return new ServerUser(new UnixSystem().getUid() == 0 ? unprivileged : null);
    }

    /** Whether this process runs as root and so hands the server to another user. */
    public boolean switchesUser() {
        return switchTo != null;
    }

    /** The command, run as the server user. */
    public List<String> wrap(List<String> command) {
        if (switchTo == null) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", switchTo, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Gives a file of the node's own in the data directory (a credentials or configuration file of
     * nats-server or the object store, 0600) to the owner of the data directory, the server user:
     * a base backup for a replica is read by the server and fails on a file it cannot read.
     * Nothing changes when this process is not root (it owns both).
     */
    public static void ownLikeItsDirectory(Path file) throws IOException {
        if (new UnixSystem().getUid() != 0) {
            return;
        }
        PosixFileAttributeView dir = Files.getFileAttributeView(file.toAbsolutePath().getParent(), PosixFileAttributeView.class);
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        view.setOwner(dir.readAttributes().owner());
        view.setGroup(dir.readAttributes().group());
    }

    /**
     * Writes {@code content} into {@code file}, a private file of the node in the data directory (a
     * credential or a configuration holding one): made 0600 before anything is in it, given to the
     * directory's owner ({@link #ownLikeItsDirectory}) and put in place at once, so that no reader
     * finds it half written or readable by others.
     */
    public static void writePrivate(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content);
        ownLikeItsDirectory(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Makes the server user the owner of a directory and everything in it, when the directory is
     * not its yet (a directory this process just made, or one that a part run by this process made
     * before it ran as the server user): the whole tree is walked then, and only then.
     */
    public void ownTree(Path dir) {
        if (switchTo == null) {
            return;
        }
        try {
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            if (Files.getOwner(dir).equals(users.lookupPrincipalByName(switchTo))) {
                return;
            }
            try (Stream<Path> paths = Files.walk(dir)) { // does not follow links out of the tree
                paths.forEach(this::own);
            }
        } catch (IOException e) {
            throw new ClusterException("cannot hand " + dir + " to OS user " + switchTo + ": " + e,
                    "Give the directory to that user (chown -R) and start again.", e);
        }
    }

    /** Makes the server user the owner of a file or directory this process created. */
    public void own(Path path) {
        if (switchTo == null) {
            return;
        }
        try {
            UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(users.lookupPrincipalByName(switchTo));
            view.setGroup(users.lookupPrincipalByGroupName(switchTo));
        } catch (IOException e) {
            throw new ClusterException("cannot hand " + path + " to OS user " + switchTo + ": " + e,
                    "Create the OS user (Debian's postgresql package creates 'postgres') or set os-user"
                            + " (TMIDB_OS_USER) to an existing unprivileged user.", e);
        }
    }
}
