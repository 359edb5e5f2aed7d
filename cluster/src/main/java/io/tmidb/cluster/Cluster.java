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
