// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import io.tmidb.cluster.ClusterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The node's services held off its database while a command replaces it (tmictl restore): the
 * command writes its pid into {@value #FILE} in the data directory, the supervisor stops the
 * services that use the database (the worker with its relay, the gateway) and says so in its
 * status file, and starts them again once the file is gone or its process has ended (a command
 * killed halfway does not keep the node down). Where no supervisor runs, there is nothing to hold.
 */
public final class NodeHold implements AutoCloseable {
    public static final String FILE = "tmidbd.hold";
    /** The parts of a node that use its database; nats-server and the object store do not. */
    static final Set<String> PARTS = Set.of("worker", "gateway");
    private static final String STATUS = "hold";
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(NodeHold.class.getName());

    private final Path file;
    private final PrintWriter out;
    private final String label;

    private NodeHold(Path file, PrintWriter out, String label) {
        this.file = file;
        this.out = out;
        this.label = label;
    }

    /**
     * Holds the services of the node in {@code dataDir} off its database, waiting until the
     * supervisor has stopped them; a node without a running supervisor needs no hold.
     */
    public static NodeHold acquire(Path dataDir, boolean supervised, PrintWriter out, String label) throws IOException, InterruptedException {
        Path file = dataDir.resolve(FILE);
        NodeHold hold = new NodeHold(file, out, label);
        if (!supervised) {
            return hold;
        }
        long pid = ProcessHandle.current().pid();
        Optional<Long> other = holder(dataDir).filter(p -> p != pid);
        if (other.isPresent()) {
            throw new ClusterException("another command (pid " + other.get() + ") holds the node's services off its database",
                    "Wait until it has finished, then run this command again.");
        }
        Files.writeString(file, pid + "\n");
        out.printf("%s: holding the node's worker (and its relay) and gateway off the database until the restored data is verified%n", label);
        out.flush();
        Path status = dataDir.resolve(Supervisor.STATUS_FILE);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!(Files.exists(status) && Files.readAllLines(status).contains(statusLine(pid)))) {
            if (System.nanoTime() > deadline) {
                hold.close();
                throw new ClusterException("the node's supervisor did not hold its services within 90 s",
                        "See " + dataDir.resolve("log/tmidbd.log") + "; 'tmidbd status' shows its parts.");
            }
            Thread.sleep(100);
        }
        return hold;
    }

    /** Lets the supervisor start the services again. */
    @Override
    public void close() throws IOException {
        if (Files.deleteIfExists(file)) {
            out.printf("%s: the node's services resume%n", label);
            out.flush();
        }
    }

    /** The process holding the node's services, while it runs. */
    static Optional<Long> holder(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
        if (!text.matches("\\d{1,18}")) {
            return Optional.empty();
        }
        long pid = Long.parseLong(text);
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
    }

    /** The status file's line while {@code pid} holds the services. */
    static String statusLine(long pid) {
        return String.format("%-11s %-8s worker and gateway off the database for pid %d", STATUS, "held", pid);
    }

    /** The supervisor's side: stops and starts the parts that use the database as holds come and go. */
    static final class Keeper {
        private long holder;

        /**
         * Called every tick: holds the parts when a hold appears, and when it is gone runs
         * {@code beforeResume} (the database is prepared again: it may be another one now) and
         * starts them.
         */
        void tend(Path dataDir, List<Child> parts, SqlStep beforeResume) throws IOException, InterruptedException {
            Optional<Long> asked = holder(dataDir);
            if (asked.isPresent() && holder == 0) {
                for (int i = parts.size() - 1; i >= 0; i--) {
                    if (PARTS.contains(parts.get(i).name)) {
                        parts.get(i).hold(Duration.ofSeconds(20));
                    }
                }
                holder = asked.get();
                LOG.info(() -> "worker and gateway held off the database for pid " + holder);
            } else if (asked.isEmpty() && holder != 0) {
                try {
                    beforeResume.run();
                } catch (Exception e) {
                    // the services say what is wrong with the database in their own logs, and are restarted as usual
                    LOG.warning(() -> "preparing the database before the services resume: " + e);
                }
                for (Child part : parts) {
                    if (PARTS.contains(part.name)) {
                        part.release();
                    }
                }
                holder = 0;
            }
        }

        /** The status file's line about a hold; empty when there is none. */
        Optional<String> statusLine() {
            return holder == 0 ? Optional.empty() : Optional.of(NodeHold.statusLine(holder));
        }
    }

    /** A step that may fail with an exception, e.g. preparing the database. */
    @FunctionalInterface
    interface SqlStep {
        void run() throws Exception;
    }
}
