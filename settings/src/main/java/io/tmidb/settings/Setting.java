// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static io.tmidb.settings.Service.GATEWAY;
import static io.tmidb.settings.Service.TMICTL;
import static io.tmidb.settings.Service.TMIDBD;
import static io.tmidb.settings.Service.WORKER;
import static io.tmidb.settings.ValueType.BOOLEAN;
import static io.tmidb.settings.ValueType.DURATION;
import static io.tmidb.settings.ValueType.INTEGER;
import static io.tmidb.settings.ValueType.LIST;
import static io.tmidb.settings.ValueType.PATH;
import static io.tmidb.settings.ValueType.TEXT;

/**
 * Every setting of every tmiDB program, each declared once: its kebab-case name (the key in
 * {@code tmidb.conf}, the long option {@code --name}, the variable {@code TMIDB_NAME}), type,
 * default, rule, whether it is secret, which programs read it, and what it means. A key has one
 * meaning wherever it is read.
 */
public enum Setting {
    // the node: tmidbd and tmictl
    DATA_DIR("data-dir", PATH, null, "/var/lib/tmidb/data as root, ~/tmidb/data otherwise", Check.NONE, Mask.NONE,
            "the node's data directory", TMIDBD, TMICTL),
    PORT("port", INTEGER, "5432", null, Check.range(1, 65535), Mask.NONE,
            "port of a new cluster (an existing one keeps its own)", TMIDBD, TMICTL),
    DATABASE("database", TEXT, "tmidb", null, Check.notBlank(), Mask.NONE, "the database holding tmiDB", TMIDBD, TMICTL),
    OS_USER("os-user", TEXT, "postgres", null, Check.notBlank(), Mask.NONE,
            "unprivileged OS user that runs the server when tmidbd is started as root", TMIDBD, TMICTL),
    PG_BINDIR("pg-bindir", PATH, null, "newest /usr/lib/postgresql/N/bin", Check.NONE, Mask.NONE,
            "PostgreSQL's bin directory", TMIDBD, TMICTL),
    ENGINE_RESTART("engine-restart", BOOLEAN, "false", null, Check.NONE, Mask.NONE,
            "whether tmidbd restarts the server by itself to load an engine installed while the node runs (TimescaleDB);"
                    + " otherwise it logs that a restart is due and tmictl status shows it", TMIDBD),
    NATS_URL("nats-url", TEXT, "nats://127.0.0.1:4222", null, natsUrls(), Mask.CREDENTIALS,
            "NATS server(s) the event relay publishes to, comma-separated; empty turns the relay off; not set,"
                    + " tmidbd runs nats-server with JetStream on 127.0.0.1:<nats-port> when installed", TMIDBD, WORKER),
    NATS_PORT("nats-port", INTEGER, "4222", null, Check.range(1, 65535), Mask.NONE,
            "port of the nats-server the node runs on 127.0.0.1 (when nats-url is not set)", TMIDBD, TMICTL),
    GATEWAY_PORT("gateway-port", INTEGER, "3000", null, Check.range(0, 65535), Mask.NONE,
            "HTTP port of the REST/WebSocket gateway (0: any free port)", TMIDBD, TMICTL, GATEWAY),

    // the database the worker and the gateway use (tmidbd sets these for the ones it runs)
    DB_URL("db-url", TEXT, "jdbc:postgresql://localhost:5432/tmidb", null,
            Check.matches("jdbc:postgresql:.+", "must be a JDBC URL such as jdbc:postgresql://localhost:5432/tmidb"),
            Mask.CREDENTIALS, "JDBC URL of the tmiDB database; with several servers (jdbc:postgresql://db1:5432,db2:5432/tmidb"
                    + "?targetServerType=primary) the one that takes writes, so that a promoted replica is found", WORKER, GATEWAY),
    DB_USER("db-user", TEXT, "postgres", null, Check.notBlank(), Mask.NONE,
            "database user to connect as (the gateway switches role per request)", WORKER, GATEWAY),
    DB_PASSWORD("db-password", TEXT, "", null, Check.NONE, Mask.ALL, "that user's password", WORKER, GATEWAY),

    // tmidb-worker
    BATCH_SIZE("batch-size", INTEGER, "500", null, Check.atLeast(1), Mask.NONE,
            "raw documents claimed per transaction by the stored-logic host", WORKER),
    SWEEP_INTERVAL("sweep-interval", DURATION, "PT5S", null, Check.positiveDuration(), Mask.NONE,
            "how often the worker's services look for work without a notification", WORKER),
    PARTITION_INTERVAL("partition-interval", DURATION, "PT1H", null, Check.positiveDuration(), Mask.NONE,
            "how often ts_obs partitions are created ahead", WORKER),
    CONNECTOR_ALLOW_PRIVATE("connector-allow-private", BOOLEAN, "false", null, Check.NONE, Mask.NONE,
            "whether connectors may fetch from loopback, private, link-local and cloud metadata addresses", WORKER, TMICTL),
    CONNECTOR_ALLOWED_ADDRESSES("connector-allowed-addresses", LIST, "", null, Check.NONE, Mask.NONE,
            "IP addresses connectors may fetch from although they are private (e.g. an intranet feed server)", WORKER),
    CONNECTOR_CONNECT_TIMEOUT("connector-connect-timeout", DURATION, "PT5S", null, Check.positiveDuration(), Mask.NONE,
            "how long a connector waits for a connection", WORKER),
    CONNECTOR_READ_TIMEOUT("connector-read-timeout", DURATION, "PT30S", null, Check.positiveDuration(), Mask.NONE,
            "how long one connector request may take, to the last body byte", WORKER),
    CONNECTOR_MAX_BODY_BYTES("connector-max-body-bytes", INTEGER, "10485760", null, Check.range(1, Integer.MAX_VALUE - 8),
            Mask.NONE, "largest response body a connector accepts, in bytes", WORKER),
    CONNECTOR_MAX_REDIRECTS("connector-max-redirects", INTEGER, "5", null, Check.range(0, 20), Mask.NONE,
            "redirects a connector follows before failing", WORKER),
    CONNECTOR_BACKOFF_MAX("connector-backoff-max", DURATION, "PT1H", null, Check.positiveDuration(), Mask.NONE,
            "longest wait after repeated connector failures; the wait doubles per failure from the connector's interval", WORKER),
    CONNECTOR_THREADS("connector-threads", INTEGER, "4", null, Check.atLeast(1), Mask.NONE,
            "connectors fetched at the same time", WORKER),
    RELAY_STREAM("relay-stream", TEXT, "TMI", null, Check.matches("[A-Za-z0-9_-]{1,64}", "must be 1-64 letters, digits, '_' or '-'"),
            Mask.NONE, "JetStream stream the relay publishes to; created with subjects tmi.> when missing", WORKER),
    RELAY_CURSOR("relay-cursor", TEXT, "nats", null,
            Check.matches("[a-z][a-z0-9_-]{0,62}", "must be lower-case letters, digits, '_' or '-', starting with a letter"),
            Mask.NONE, "name of the relay's cursor in tmi.relay_cursor", WORKER),
    RELAY_WINDOW("relay-window", INTEGER, "1000", null, Check.range(1, 100_000), Mask.NONE,
            "events the relay publishes ahead of their acknowledgements", WORKER),
    RELAY_ACK_TIMEOUT("relay-ack-timeout", DURATION, "PT5S", null, Check.positiveDuration(), Mask.NONE,
            "how long the relay waits for an acknowledgement before reconnecting", WORKER),
    RELAY_DUPLICATE_WINDOW("relay-duplicate-window", DURATION, "PT2M", null, Check.positiveDuration(), Mask.NONE,
            "how long a stream the relay creates remembers message ids to drop duplicates", WORKER),
    RELAY_STREAM_REPLICAS("relay-stream-replicas", INTEGER, "1", null, Check.range(1, 5), Mask.NONE,
            "copies JetStream keeps of a stream the relay creates: 1 for one nats-server, 3 (or 5) on a NATS cluster", WORKER),
    RELAY_MAX_BACKOFF("relay-max-backoff", DURATION, "PT30S", null, Check.positiveDuration(), Mask.NONE,
            "longest pause between attempts to reach NATS", WORKER),

    // tmidb-gateway
    GATEWAY_HOST("gateway-host", TEXT, "127.0.0.1", null, Check.notBlank(), Mask.NONE,
            "address the gateway's HTTP server listens on", GATEWAY),
    POOL_SIZE("pool-size", INTEGER, "10", null, Check.atLeast(1), Mask.NONE,
            "the gateway's database connections (to the primary, and as many to each read replica)", GATEWAY),
    DB_READ_URLS("db-read-urls", LIST, "", null,
            Check.eachItem(Check.matches("jdbc:postgresql://[^,]+", "must hold JDBC URLs of one server each, such as"
                    + " jdbc:postgresql://replica1:5432/tmidb")),
            Mask.CREDENTIALS, "JDBC URLs of read replicas of db-url's database, comma-separated: the gateway sends read-only"
                    + " requests to them (docs/scaling.md); empty: every request goes to db-url", GATEWAY),
    DB_READ_WAIT("db-read-wait", DURATION, "PT1S", null, Check.positiveDuration(), Mask.NONE,
            "how long a read of a client that wrote waits for a replica to replay the write before it reads from"
                    + " db-url instead", GATEWAY),
    JWT_SECRET("jwt-secret", TEXT, "", null, Check.emptyOrLength(32), Mask.ALL,
            "HS256 key (32+ characters); empty: the database's tmi.jwt_secret()", GATEWAY),
    ANON_ROLE("anon-role", TEXT, "tmi_anon", null, Check.notBlank(), Mask.NONE, "role of requests without a token", GATEWAY),
    ANON_LISTENER("anon-listener", TEXT, "", null, Check.NONE, Mask.NONE,
            "listener whose subscriptions requests without a token see (with anon-role tmi_listener); empty: none", GATEWAY),
    JWT_ROLES("jwt-roles", LIST, "tmi_admin,tmi_speaker,tmi_listener,tmi_anon", null, Check.NONE, Mask.NONE,
            "roles a token may name", GATEWAY),
    MAX_BODY("max-body", INTEGER, "10485760", null, Check.atLeast(1), Mask.NONE,
            "largest request body the gateway accepts, in bytes (more: 413)", GATEWAY),
    CORS_ORIGINS("cors-origins", LIST, "", null,
            Check.eachItem(Check.matches("\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?",
                    "must hold origins such as https://app.example.com:8443, or *")),
            Mask.NONE, "origins whose browser pages may call the API; empty: same origin only", GATEWAY),
    SCHEMA_REFRESH("schema-refresh", DURATION, "PT10S", null, Check.positiveDuration(), Mask.NONE,
            "how often the gateway reloads its schema cache", GATEWAY),
    WS_QUEUE("ws-queue", INTEGER, "10000", null, Check.atLeast(1), Mask.NONE,
            "frames a WebSocket client may lag behind before it is closed with 4008 (slow consumer)", GATEWAY),
    WS_HEARTBEAT("ws-heartbeat", DURATION, "PT15S", null, Check.positiveDuration(), Mask.NONE,
            "how often WebSocket clients get a heartbeat with the last event id", GATEWAY),
    WS_SWEEP("ws-sweep", DURATION, "PT1S", null, Check.positiveDuration(), Mask.NONE,
            "how often the gateway's event reader looks for events without a NOTIFY", GATEWAY),
    WS_SCOPE_REFRESH("ws-scope-refresh", DURATION, "PT5S", null, Check.positiveDuration(), Mask.NONE,
            "how often WebSocket sessions reload their listener's subscriptions", GATEWAY),

    // files (docs/files.md): the object store, the limits of what the gateway takes, the worker's janitor
    S3_ENDPOINT("s3-endpoint", TEXT, "", null,
            Check.matches("|https?://.+", "must be empty or an http:// or https:// URL such as http://127.0.0.1:8333"), Mask.NONE,
            "URL of the S3-compatible object store that holds files; empty: tmidbd runs its embedded store (and passes its"
                    + " endpoint to its gateway and worker), a gateway or worker run alone has no files", TMIDBD, TMICTL, WORKER, GATEWAY),
    S3_REGION("s3-region", TEXT, "us-east-1", null, Check.notBlank(), Mask.NONE, "the object store's region", TMIDBD, TMICTL, WORKER, GATEWAY),
    S3_BUCKET("s3-bucket", TEXT, "tmidb", null,
            Check.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "must be 3 to 63 lower-case letters, digits, dots and hyphens"),
            Mask.NONE, "bucket that holds the files (created when missing)", TMIDBD, TMICTL, WORKER, GATEWAY),
    S3_ACCESS_KEY("s3-access-key", TEXT, "", null, Check.NONE, Mask.NONE, "access key for the external object store",
            TMIDBD, TMICTL, WORKER, GATEWAY),
    S3_SECRET_KEY("s3-secret-key", TEXT, "", null, Check.NONE, Mask.ALL, "secret key for the external object store",
            TMIDBD, TMICTL, WORKER, GATEWAY),
    S3_PATH_STYLE("s3-path-style", BOOLEAN, "true", null, Check.NONE, Mask.NONE,
            "address buckets in the path (http://host/bucket/key) rather than the host name", TMIDBD, TMICTL, WORKER, GATEWAY),
    S3_PORT("s3-port", INTEGER, "9010", null, Check.range(1, 65535), Mask.NONE,
            "port of the embedded object store (S3Proxy) on 127.0.0.1", TMIDBD, TMICTL),
    FILE_MAX_SIZE("file-max-size", INTEGER, "5368709120", null, Check.atLeast(0), Mask.NONE,
            "largest file the gateway accepts, in bytes (more: 413)", GATEWAY),
    FILE_CONTENT_TYPES("file-content-types", LIST, "", null, Check.NONE, Mask.NONE,
            "media types files may have, type/* for a whole type; empty: any", GATEWAY),
    FILE_UPLOAD_EXPIRY("file-upload-expiry", DURATION, "PT15M", null, Check.positiveDuration(), Mask.NONE,
            "how long an upload URL is valid and an upload may take to complete", GATEWAY),
    FILE_DOWNLOAD_EXPIRY("file-download-expiry", DURATION, "PT1M", null, Check.positiveDuration(), Mask.NONE,
            "how long a download URL from GET /files/<id> is valid", GATEWAY),
    FILE_SWEEP("file-sweep", DURATION, "PT30S", null, Check.positiveDuration(), Mask.NONE,
            "how often the worker deletes objects of deleted files and expired uploads and checks the store", WORKER);

    private final String key;
    private final ValueType type;
    private final String defaultValue;
    private final String defaultText;
    private final Check check;
    private final Mask mask;
    private final String doc;
    private final Set<Service> services;

    Setting(String key, ValueType type, String defaultValue, String defaultText, Check check, Mask mask, String doc,
            Service first, Service... more) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText != null ? defaultText : defaultValue;
        this.check = check;
        this.mask = mask;
        this.doc = doc;
        this.services = EnumSet.of(first, more);
    }

    /** The setting named {@code key} in tmidb.conf or as {@code --key}. */
    public static Optional<Setting> byKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    public String key() {
        return key;
    }

    /** {@code TMIDB_<KEY>}: upper case, '-' as '_'. */
    public String envName() {
        return "TMIDB_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    public ValueType type() {
        return type;
    }

    /** The built-in default; empty when the program works one out (see {@link #defaultText()}). */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** The default as documentation states it. */
    public String defaultText() {
        return defaultText;
    }

    public String doc() {
        return doc;
    }

    /** The line help texts show: the meaning, the variable and the default. */
    public String help() {
        return doc + " (env " + envName() + "; default " + (defaultText.isEmpty() ? "empty" : defaultText)
                + (secret() ? "; secret, shown masked" : "") + ")";
    }

    public boolean secret() {
        return mask == Mask.ALL;
    }

    /** {@code value} as it may be shown. */
    public String shown(String value) {
        return mask.apply(value);
    }

    public Set<Service> services() {
        return services;
    }

    public boolean readBy(Service service) {
        return services.contains(service);
    }

    /** Why {@code value} is not acceptable ("must ..."), or empty. */
    public Optional<String> problem(String value) {
        return type.problem(value).or(() -> check.problem(value));
    }

    private static Check natsUrls() {
        // each nats:// or tls://, maybe user:password@, host and port; empty turns the relay off
        String one = "(?:nats|tls)://(?:[^\\s,/@]+@)?[^\\s,/:@]+:[0-9]{1,5}";
        return Check.matches("|" + one + "(?:," + one + ")*",
                "must be like nats://127.0.0.1:4222 (or a comma-separated list of such), or empty to turn the relay off");
    }
}
