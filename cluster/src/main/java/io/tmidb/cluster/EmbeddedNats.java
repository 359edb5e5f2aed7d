// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's nats-server: JetStream on 127.0.0.1 with two users, made once when the node is
 * created and kept in {@code <data dir>/nats.credentials} (mode 0600), as the database password is:
 * <ul>
 *   <li>{@value #PUBLISHER} (the event relay) may publish events ({@code tmi.>}) and use the
 *       JetStream API;</li>
 *   <li>{@value #SUBSCRIBER} (whoever listens) may read the stream: subscribe to events, create
 *       and use consumers, read messages and stream information, acknowledge; it may not publish
 *       events, nor change, purge or delete a stream or its messages.</li>
 * </ul>
 * No other connection is accepted, so nobody on the host can store a message in the relay's
 * stream. The configuration file is written at each start ({@value #CONFIG_FILE}, 0600: it holds
 * the passwords); the same code writes it for {@code tmidbd run} and for tests.
 */
public final class EmbeddedNats {
    public static final String CREDENTIALS_FILE = "nats.credentials";
    public static final String CONFIG_FILE = "nats-server.conf";
    public static final String PUBLISHER = "tmidb-relay";
    public static final String SUBSCRIBER = "tmidb-reader";
    public static final int DEFAULT_PORT = 4222;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern LISTEN = Pattern.compile("(?m)^listen: 127\\.0\\.0\\.1:([0-9]{1,5})$");

    private EmbeddedNats() {
    }

    /** The node's two NATS passwords. {@link #toString()} hides them. */
    public record Credentials(String publisherPassword, String subscriberPassword) {
        /** The relay's URL: publishes events. */
        public String publisherUrl(int port) {
            return url(PUBLISHER, publisherPassword, port);
        }

        /** The URL for subscribers: reads the stream only. */
        public String subscriberUrl(int port) {
            return url(SUBSCRIBER, subscriberPassword, port);
        }

        @Override
        public String toString() {
            return "Credentials[****]";
        }
    }

    /** The passwords kept in {@code dataDir}, made and written (0600) when there are none yet. */
    public static Credentials credentials(Path dataDir) {
        Path file = dataDir.resolve(CREDENTIALS_FILE);
        try {
            if (!Files.exists(file)) {
                ServerUser.writePrivate(file, PUBLISHER + " = " + hex(24) + "\n" + SUBSCRIBER + " = " + hex(24) + "\n");
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(file)) {
                p.load(in);
            }
            return new Credentials(p.getProperty(PUBLISHER), p.getProperty(SUBSCRIBER));
        } catch (IOException e) {
            throw new ClusterException("cannot read or create " + file + ": " + e, "Check the data directory's permissions.", e);
        }
    }

    /**
     * Where the node's nats-server keeps its streams: beside the data directory (not in it, so a
     * base backup of the server does not copy them), named after the port, which no two nodes of a
     * machine share: {@code nats-<port>}, and {@code nats} for the default port, as nodes made
     * before nats-port existed keep it.
     */
    public static Path storeDir(Path dataDir, int port) {
        return dataDir.toAbsolutePath().normalize().resolveSibling(port == DEFAULT_PORT ? "nats" : "nats-" + port);
    }

    /**
     * The authorization block of nats-server's configuration for {@code keys} (also what tests give
     * a nats-server of their own).
     */
    public static List<String> authorization(Credentials keys) {
        return List.of(
                "authorization {",
                "  users = [",
                "    {user: \"" + PUBLISHER + "\", password: \"" + keys.publisherPassword() + "\", permissions: {",
                "      publish: {allow: [\"tmi.>\", \"$JS.API.>\"]}",
                "      subscribe: {allow: [\"_INBOX.>\"]}}}",
                "    {user: \"" + SUBSCRIBER + "\", password: \"" + keys.subscriberPassword() + "\", permissions: {",
                // reading: stream and consumer information, consumers, messages by sequence, acknowledgements
                "      publish: {allow: [\"$JS.API.INFO\", \"$JS.API.STREAM.NAMES\", \"$JS.API.STREAM.LIST\","
                        + " \"$JS.API.STREAM.INFO.>\", \"$JS.API.STREAM.MSG.GET.>\", \"$JS.API.DIRECT.GET.>\","
                        + " \"$JS.API.CONSUMER.>\", \"$JS.ACK.>\", \"$JS.FC.>\"],",
                "                deny: [\"tmi.>\"]}",
                "      subscribe: {allow: [\"tmi.>\", \"_INBOX.>\"]}}}",
                "  ]",
                "}");
    }

    /**
     * Writes the node's nats-server configuration ({@value #CONFIG_FILE} in {@code dataDir}, 0600):
     * 127.0.0.1:{@code port}, JetStream storing in {@code storeDir}, the two users of {@code keys}.
     * Answers the file.
     */
    public static Path writeConfig(Path dataDir, int port, Path storeDir, Credentials keys) {
        StringBuilder conf = new StringBuilder("# the nats-server of a tmiDB node, written by tmidbd at each start\n")
                .append("listen: 127.0.0.1:").append(port).append('\n')
                .append("jetstream {\n  store_dir: \"").append(storeDir).append("\"\n}\n");
        authorization(keys).forEach(l -> conf.append(l).append('\n'));
        Path file = dataDir.resolve(CONFIG_FILE);
        try {
            ServerUser.writePrivate(file, conf.toString());
        } catch (IOException e) {
            throw new ClusterException("cannot write " + file + ": " + e, "Check the data directory's permissions.", e);
        }
        return file;
    }

    /** The port of the configuration tmidbd last wrote in {@code dataDir}, if it wrote one. */
    public static Optional<Integer> configuredPort(Path dataDir) {
        Path file = dataDir.resolve(CONFIG_FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            Matcher m = LISTEN.matcher(Files.readString(file));
            return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
        } catch (IOException e) {
            throw new ClusterException("cannot read " + file + ": " + e, "Run as root or as the user that owns the data directory.", e);
        }
    }

    private static String url(String user, String password, int port) {
        return "nats://" + user + ":" + password + "@127.0.0.1:" + port;
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
