// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One PostgreSQL cluster (a data directory) managed by tmiDB: created with initdb, configured
 * through {@value #CONF_FILE} (included from postgresql.conf), started and stopped with pg_ctl.
 * The superuser {@value #SUPERUSER} authenticates with a generated password kept in the data
 * directory's {@value #PGPASS_FILE}, a libpq password file that psql reads too.
 * This is the only code that starts clusters: tmidbd and the test kit both use it.
 */
public final class Cluster {
    public static final String SUPERUSER = "postgres";
    public static final String CONF_FILE = "tmi_db.conf";
    public static final String PGPASS_FILE = "tmidb.pgpass";
    public static final String PSQLRC_FILE = "tmidb.psqlrc";
    public static final String CLUSTER_NAME = "tmidb";
    public static final String CORE_APP_NAME = "tmiDB-Core";
    /** The login a replica streams with: {@code LOGIN REPLICATION}, nothing more (see {@link Node#prepareReplicator}). */
    public static final String REPLICATOR = "tmidb_replicator";
    /** A replica's libpq password file for {@value #REPLICATOR}, named by its primary_conninfo. */
    public static final String REPLICATION_PGPASS_FILE = "replication.pgpass";
    /** PostgreSQL starts a cluster holding this file as a standby. */
    public static final String STANDBY_SIGNAL = "standby.signal";
    /**
     * What a base backup copies that belongs to the primary's node and not to a replica: its
     * supervisor's files, the secrets of services a replica does not run, the embedded object
     * store's objects, its logs (a directory is emptied, a file removed).
     */
    private static final List<String> PRIMARY_ONLY = List.of("tmidbd.pid", "tmidbd.status", "tmidbd.status.new", "tmidbd.hold",
            "replication.credentials", "nats.credentials", "nats-server.conf", "s3.credentials", "s3proxy.properties",
            "objects", "log");
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern PORT_LINE = Pattern.compile("(?m)^\\s*port\\s*=\\s*(\\d+)");

    private final Path dataDir;
    private final int port;
    private final PgInstallation pg;
    private final ServerUser user;

    private Cluster(Path dataDir, int port, PgInstallation pg, ServerUser user) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.port = port;
        this.pg = pg;
        this.user = user;
    }

    /** A cluster to be created in {@code dataDir}, serving on {@code port}. */
    public static Cluster create(Path dataDir, int port, PgInstallation pg, ServerUser user) {
        return new Cluster(dataDir, port, pg, user);
    }

    /** An existing cluster; its port is read from its {@value #CONF_FILE}. */
    public static Cluster open(Path dataDir, PgInstallation pg, ServerUser user) {
        Path conf = dataDir.resolve(CONF_FILE);
        if (!Files.exists(conf)) {
            throw new ClusterException("no tmiDB cluster in " + dataDir.toAbsolutePath(),
                    "Create one with 'tmidbd init -D " + dataDir + "', or pass the right data directory with -D.");
        }
        Matcher m = PORT_LINE.matcher(read(conf));
        if (!m.find()) {
            throw new ClusterException(conf + " sets no port", "Add a line 'port = 5432' to " + conf + ".");
        }
        return new Cluster(dataDir, Integer.parseInt(m.group(1)), pg, user);
    }

    public Path dataDir() {
        return dataDir;
    }

    public int port() {
        return port;
    }

    public Path logFile() {
        return dataDir.resolve("log").resolve("tmidb.log");
    }

    public Path psqlrc() {
        return dataDir.resolve(PSQLRC_FILE);
    }

    public Path pgpass() {
        return dataDir.resolve(PGPASS_FILE);
    }

    public boolean isInitialized() {
        return Files.exists(dataDir.resolve("PG_VERSION"));
    }

    /**
     * Runs initdb and writes tmiDB's configuration. {@code extraConf} lines are appended to
     * {@value #CONF_FILE}, e.g. {@code shared_preload_libraries = 'timescaledb'}.
     */
    public void init(List<String> extraConf) {
        if (isInitialized()) {
            throw new ClusterException(dataDir + " already holds a cluster",
                    "Start it with 'tmidbd start -D " + dataDir + "', or choose an empty directory.");
        }
        String password = newPassword();
        Path pwFile = null;
        try {
            Files.createDirectories(dataDir);
            user.own(dataDir);
            pwFile = Files.createTempFile("tmidb-init", ".pw");
            Files.writeString(pwFile, password + "\n");
            user.own(pwFile);
            Exec.check(user.wrap(List.of(pg.program("initdb"), "-D", dataDir.toString(), "-U", SUPERUSER,
                            "--pwfile=" + pwFile, "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale")),
                    Map.of(), Duration.ofMinutes(5), "Choose an empty data directory the server user can write.");
            writeServerFile(dataDir.resolve(CONF_FILE), configuration(extraConf));
            Files.writeString(dataDir.resolve("postgresql.conf"),
                    "\n# tmiDB settings\ninclude_if_exists = '" + CONF_FILE + "'\n",
                    java.nio.file.StandardOpenOption.APPEND);
            writeServerFile(pgpass(), "*:*:*:" + SUPERUSER + ":" + password + "\n");
            writeServerFile(psqlrc(), resource("psqlrc"));
            Path logDir = logFile().getParent();
            Files.createDirectories(logDir);
            user.own(logDir);
        } catch (IOException e) {
            throw new ClusterException("cannot create " + dataDir + ": " + e, "Check the directory's permissions.", e);
        } finally {
            if (pwFile != null) {
                pwFile.toFile().delete();
            }
        }
    }

    /**
     * Creates this cluster as a streaming replica of the tmiDB node at {@code host}:{@code
     * primaryPort}: a base backup (pg_basebackup, WAL streamed alongside, fast checkpoint) taken as
     * {@value #REPLICATOR} through the physical replication {@code slot}, which the primary made
     * beforehand (tmictl replication credentials), so that it keeps the WAL the replica has not
     * received yet. The password reaches pg_basebackup and later the server through a libpq
     * password file, never a command line or a configuration setting. The copy gets this node's
     * port and socket directory, loses what belongs to the primary's node only, and starts as a
     * standby ({@value #STANDBY_SIGNAL}) streaming from the primary through the slot.
     */
    public void initReplica(String host, int primaryPort, String slot, String password) {
        if (isInitialized()) {
            throw new ClusterException(dataDir + " already holds a cluster",
                    "Start it with 'tmidbd start -D " + dataDir + "', or choose an empty directory.");
        }
        requireSlotName(slot);
        if (password.isEmpty() || password.contains("\n")) {
            throw new ClusterException("the replication password is empty or has more than one line",
                    "Put the password that 'tmictl replication credentials' printed on the primary, alone, into the file.");
        }
        Path pgpass = dataDir.resolve(REPLICATION_PGPASS_FILE);
        Path tmpPass = null;
        try {
            Files.createDirectories(dataDir);
            try (var entries = Files.list(dataDir)) {
                if (entries.findAny().isPresent()) {
                    throw new ClusterException(dataDir + " is not empty", "Choose an empty or new directory for the replica.");
                }
            }
            // the server refuses a data directory others may read; pg_basebackup keeps an existing one's mode
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
            user.own(dataDir);
            String passLine = pgpassField(host) + ":" + primaryPort + ":replication:" + REPLICATOR + ":" + pgpassField(password) + "\n";
            tmpPass = Files.createTempFile("tmidb-replica", ".pgpass");
            writeServerFile(tmpPass, passLine);
            Exec.Result r = Exec.run(user.wrap(List.of(pg.program("pg_basebackup"), "-h", host, "-p", String.valueOf(primaryPort),
                            "-U", REPLICATOR, "-D", dataDir.toString(), "-S", slot, "-X", "stream", "-c", "fast", "-w")),
                    Map.of("PGPASSFILE", tmpPass.toString(), "PGAPPNAME", slot), Duration.ofHours(12));
            if (!r.ok()) {
                emptyDirectory(dataDir);
                throw new ClusterException("the base backup from " + host + ":" + primaryPort + " failed: " + r.output().strip(),
                        basebackupHint(r.output(), slot));
            }
            for (String name : PRIMARY_ONLY) {
                Path p = dataDir.resolve(name);
                if (Files.isDirectory(p)) {
                    emptyDirectory(p);
                } else {
                    Files.deleteIfExists(p);
                }
            }
            writeServerFile(pgpass, passLine);
            String conf = read(dataDir.resolve(CONF_FILE));
            conf = PORT_LINE.matcher(conf).replaceFirst("port = " + port);
            conf = conf.replaceFirst("(?m)^\\s*unix_socket_directories\\s*=.*$",
                    Matcher.quoteReplacement("unix_socket_directories = '" + dataDir + "'"));
            String conninfo = "host=" + conninfoValue(host) + " port=" + primaryPort + " user=" + REPLICATOR
                    + " passfile=" + conninfoValue(pgpass.toString()) + " application_name=" + slot;
            conf += "# a streaming replica, written by tmidbd init --replica-of: it follows its primary through its slot\n"
                    + "primary_conninfo = '" + conninfo.replace("'", "''") + "'\n"
                    + "primary_slot_name = '" + slot + "'\n"
                    + "hot_standby = on\n";
            writeServerFile(dataDir.resolve(CONF_FILE), conf);
            writeServerFile(dataDir.resolve(STANDBY_SIGNAL), "");
            Path logDir = logFile().getParent();
            Files.createDirectories(logDir);
            user.own(logDir);
        } catch (IOException e) {
            throw new ClusterException("cannot create the replica in " + dataDir + ": " + e, "Check the directory's permissions.", e);
        } finally {
            if (tmpPass != null) {
                tmpPass.toFile().delete();
            }
        }
    }

    /** Whether this cluster is a standby (created by {@link #initReplica} and not promoted since). */
    public boolean isReplica() {
        return Files.exists(dataDir.resolve(STANDBY_SIGNAL));
    }

    /**
     * Promotes this running replica to a primary ({@code pg_ctl promote}) and waits until it
     * accepts writes. PostgreSQL ends its recovery with what it received from its old primary and
     * removes {@value #STANDBY_SIGNAL}; it no longer follows anyone (its primary_conninfo is ignored
     * from then on). Promoting while the old primary still takes writes splits the history in two:
     * stop the old primary first (a clean stop sends its replicas every WAL record it wrote).
     */
    public void promote() {
        if (!isReplica()) {
            throw new ClusterException("the node in " + dataDir + " is not a replica", "Only a replica can be promoted.");
        }
        if (!isRunning()) {
            throw new ClusterException("the replica in " + dataDir + " is not running",
                    "Start it with 'tmidbd start -D " + dataDir + "', then promote it.");
        }
        Exec.check(user.wrap(List.of(pg.program("pg_ctl"), "-D", dataDir.toString(), "-w", "-t",
                String.valueOf(START_TIMEOUT.toSeconds()), "promote")), Map.of(), START_TIMEOUT.plusSeconds(10), "Read " + logFile() + ".");
    }

    /** Refuses a name PostgreSQL would not take for a replication slot, with the rule. */
    public static void requireSlotName(String slot) {
        if (slot == null || !SLOT_NAME.matcher(slot).matches()) {
            throw new ClusterException("'" + slot + "' is not a replication slot name",
                    "A slot's name has 1 to 63 lower-case letters, digits or '_', e.g. replica1.");
        }
    }

    private static String basebackupHint(String output, String slot) {
        if (output.contains("password authentication failed")) {
            return "Use the password 'tmictl replication credentials --slot " + slot + "' prints on the primary.";
        }
        if (output.contains("does not exist")) {
            return "Create the slot on the primary first: tmictl replication credentials --slot " + slot + ".";
        }
        if (output.contains("no pg_hba.conf entry")) {
            return "Allow this machine on the primary: tmictl replication credentials --slot " + slot + " --allow-from ADDRESS/BITS.";
        }
        return "Check that the primary runs and accepts connections from this machine (its listen_addresses), then run"
                + " the same command again: the directory was emptied.";
    }

    /** A field of a libpq password file: ':' and '\\' escaped. */
    private static String pgpassField(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** A value of a libpq connection string, quoted. */
    private static String conninfoValue(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static void emptyDirectory(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Starts the server and waits until it accepts connections. Idempotent. */
    public void start() {
        requireInitialized();
        if (isRunning()) {
            return;
        }
        Exec.Result r = Exec.run(user.wrap(List.of(pg.program("pg_ctl"), "-D", dataDir.toString(),
                "-l", logFile().toString(), "-w", "-t", String.valueOf(START_TIMEOUT.toSeconds()), "start")),
                Map.of("PGAPPNAME", CORE_APP_NAME), START_TIMEOUT.plusSeconds(10));
        if (!r.ok()) {
            throw new ClusterException("the server did not start: " + r.output().strip() + "\n" + logTail(),
                    "Read " + logFile() + "; a port in use is fixed with --port (TMIDB_PORT).");
        }
    }

    /** Stops the server (fast shutdown: sessions are disconnected, work is rolled back). Idempotent. */
    public void stop() {
        if (!isInitialized() || !isRunning()) {
            return;
        }
        Exec.check(user.wrap(List.of(pg.program("pg_ctl"), "-D", dataDir.toString(), "-m", "fast", "-w", "stop")),
                Map.of(), START_TIMEOUT, "Read " + logFile() + ".");
    }

    /**
     * A server setting as the cluster's configuration files set it ({@code postgres -C}, which
     * reads them as the server would, running or not); empty when it is not set.
     */
    public Optional<String> configuredSetting(String name) {
        Exec.Result r = Exec.run(user.wrap(List.of(pg.program("postgres"), "-D", dataDir.toString(), "-C", name)),
                Map.of(), Duration.ofSeconds(30));
        // an unknown setting (an extension's, never set) is an error: not set either
        return r.ok() ? Optional.of(r.output().strip()).filter(v -> !v.isEmpty()) : Optional.empty();
    }

    /** Appends {@code lines} to {@value #CONF_FILE} under a comment saying why; the server reads them when it (re)loads. */
    public void appendConfiguration(String why, List<String> lines) {
        Path conf = dataDir.resolve(CONF_FILE);
        String text = read(conf);
        try {
            writeServerFile(conf, text + (text.endsWith("\n") ? "" : "\n") + "# added by tmidbd, "
                    + java.time.LocalDate.now() + ": " + why + "\n" + String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new ClusterException("cannot write " + conf + ": " + e, "Run as root or as the user that owns the data directory.", e);
        }
    }

    public boolean isRunning() {
        return isInitialized() && Exec.run(user.wrap(List.of(pg.program("pg_ctl"), "-D", dataDir.toString(),
                "status")), Map.of(), Duration.ofSeconds(30)).ok();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    /** Connects as the superuser; the session shows {@code applicationName} in pg_stat_activity. */
    public Connection connect(String database, String applicationName) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("password", superuserPassword());
        props.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** Environment for libpq clients (psql, pg_dump) to reach this cluster as the superuser. */
    public Map<String, String> clientEnv(String database, String applicationName) {
        return Map.of("PGHOST", "localhost", "PGPORT", String.valueOf(port), "PGUSER", SUPERUSER,
                "PGDATABASE", database, "PGPASSFILE", pgpass().toString(), "PGAPPNAME", applicationName,
                "PSQLRC", psqlrc().toString());
    }

    /** The last lines of the server log, for error messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no server log at " + logFile() + ")";
        }
    }

    public PgInstallation installation() {
        return pg;
    }

    /** The superuser's password, which tmidbd and tmictl use (the worker and the gateway have logins of their own). */
    public String superuserPassword() {
        String line = read(pgpass()).strip();
        return line.substring(line.lastIndexOf(':') + 1);
    }

    private void requireInitialized() {
        if (!isInitialized()) {
            throw new ClusterException("no cluster in " + dataDir, "Create one with 'tmidbd init -D " + dataDir + "'.");
        }
    }

    private String configuration(List<String> extraConf) {
        List<String> lines = new ArrayList<>(List.of(
                "# tmiDB server settings, written by tmidbd init; included from postgresql.conf",
                "cluster_name = '" + CLUSTER_NAME + "'",
                "port = " + port,
                "listen_addresses = 'localhost'",
                "unix_socket_directories = '" + dataDir + "'",
                "log_line_prefix = '%m [%p] %q%u@%d %a '"));
        lines.addAll(extraConf);
        return String.join("\n", lines) + "\n";
    }

    private void writeServerFile(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        user.own(file);
    }

    /** A random password (48 hex digits). */
    public static String newPassword() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static String resource(String name) {
        try (var in = Cluster.class.getResourceAsStream("/io/tmidb/cluster/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new ClusterException("cannot read " + file + ": " + e,
                    "Run as root or as the user that owns the data directory.", e);
        }
    }
}
