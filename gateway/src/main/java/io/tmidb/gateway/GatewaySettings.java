// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.settings.SettingKey;
import io.tmidb.settings.Settings;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The gateway's settings registry: every key with its default and meaning. A value comes from the
 * explicit map (command line or test), else the environment variable {@code TMIDB_<KEY>} (upper
 * case, '-' as '_'), else the default. Unknown keys and malformed values fail at construction.
 */
public final class GatewaySettings extends Settings<GatewaySettings.Key> {
    /** Every setting the gateway reads. */
    public enum Key implements SettingKey {
        HOST("host", "127.0.0.1", "address the HTTP server listens on"),
        PORT("port", "3000", "HTTP port (0: any free port)"),
        DB_URL("db-url", "jdbc:postgresql://localhost:5432/tmidb", "JDBC URL of the tmiDB database"),
        DB_USER("db-user", "postgres", "database user the gateway connects as (it switches role per request)"),
        DB_PASSWORD("db-password", "", "that user's password (shown masked)"),
        POOL_SIZE("pool-size", "10", "database connections in the pool"),
        JWT_SECRET("jwt-secret", "", "HS256 key (32+ characters); empty: the database's tmi.jwt_secret()"),
        ANON_ROLE("anon-role", "tmi_anon", "role of requests without a token"),
        ANON_LISTENER("anon-listener", "", "listener whose subscriptions requests without a token see (with anon-role tmi_listener); empty: none"),
        JWT_ROLES("jwt-roles", "tmi_admin,tmi_speaker,tmi_listener,tmi_anon", "roles a token may name (comma-separated)"),
        MAX_BODY("max-body", "10485760", "largest request body accepted, in bytes (more: 413)"),
        CORS_ORIGINS("cors-origins", "", "origins (scheme://host[:port], comma-separated, or *) whose browser pages may call the API; empty: same origin only"),
        SCHEMA_REFRESH("schema-refresh", "PT10S", "how often the schema cache is reloaded (ISO-8601 duration)"),
        WS_QUEUE("ws-queue", "10000", "frames a WebSocket client may lag behind before it is closed with 4008 (slow consumer)"),
        WS_HEARTBEAT("ws-heartbeat", "PT15S", "how often WebSocket clients get a heartbeat with the last event id (ISO-8601 duration)"),
        WS_SWEEP("ws-sweep", "PT1S", "how often the event reader looks for events without a NOTIFY (ISO-8601 duration)"),
        WS_SCOPE_REFRESH("ws-scope-refresh", "PT5S", "how often WebSocket sessions reload their listener's subscriptions (ISO-8601 duration)"),
        // files (docs/files.md): the object store, and the limits of what it takes
        S3_ENDPOINT("s3-endpoint", "", "URL of the S3-compatible object store that holds files; empty: no files (tmidbd passes its embedded store's)"),
        S3_REGION("s3-region", "us-east-1", "the object store's region"),
        S3_BUCKET("s3-bucket", "tmidb", "bucket that holds the files (created when missing)"),
        S3_ACCESS_KEY("s3-access-key", "", "access key for the object store"),
        S3_SECRET_KEY("s3-secret-key", "", "secret key for the object store (shown masked)"),
        S3_PATH_STYLE("s3-path-style", "true", "address buckets in the path (http://host/bucket/key) rather than the host name (true/false)"),
        FILE_MAX_SIZE("file-max-size", "5368709120", "largest file accepted, in bytes (more: 413)"),
        FILE_CONTENT_TYPES("file-content-types", "", "media types files may have, comma-separated, type/* for a whole type; empty: any"),
        FILE_UPLOAD_EXPIRY("file-upload-expiry", "PT15M", "how long an upload URL is valid and an upload may take to complete (ISO-8601 duration)"),
        FILE_DOWNLOAD_EXPIRY("file-download-expiry", "PT1M", "how long a download URL from GET /files/<id> is valid (ISO-8601 duration)"),
        FILE_SWEEP("file-sweep", "PT30S", "how often objects of deleted files and expired uploads are deleted and the store checked (ISO-8601 duration)");

        private final Spec spec;

        Key(String name, String defaultValue, String description) {
            spec = new Spec(name, defaultValue, description);
        }

        @Override
        public Spec spec() {
            return spec;
        }
    }

    /** An origin as browsers send it: scheme, host and optional port, nothing else. */
    private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?");

    private GatewaySettings(Map<String, String> explicit, Function<String, String> env) {
        super(Key.class, "gateway", explicit, env);
        getInt(Key.PORT);
        getInt(Key.POOL_SIZE);
        getDuration(Key.SCHEMA_REFRESH);
        if (getLong(Key.MAX_BODY) < 1) {
            throw new IllegalArgumentException("max-body must be at least 1 byte, got " + get(Key.MAX_BODY));
        }
        if (getInt(Key.WS_QUEUE) < 1) {
            throw new IllegalArgumentException("ws-queue must be at least 1, got " + get(Key.WS_QUEUE));
        }
        if (getLong(Key.FILE_MAX_SIZE) < 0) {
            throw new IllegalArgumentException("file-max-size must not be negative, got " + get(Key.FILE_MAX_SIZE));
        }
        getBoolean(Key.S3_PATH_STYLE);
        for (Key k : new Key[] {Key.WS_HEARTBEAT, Key.WS_SWEEP, Key.WS_SCOPE_REFRESH, Key.FILE_UPLOAD_EXPIRY, Key.FILE_DOWNLOAD_EXPIRY,
                Key.FILE_SWEEP}) {
            if (getDuration(k).isNegative() || getDuration(k).isZero()) {
                throw new IllegalArgumentException(k.settingName() + " must be a positive duration, got " + get(k));
            }
        }
        for (String origin : getList(Key.CORS_ORIGINS)) {
            if (!origin.equals("*") && !ORIGIN.matcher(origin).matches()) {
                throw new IllegalArgumentException("cors-origins: '" + origin + "' is not an origin such as https://app.example.com:8443, nor *");
            }
        }
        String secret = get(Key.JWT_SECRET);
        if (!secret.isEmpty() && secret.length() < 32) {
            throw new IllegalArgumentException("jwt-secret must have at least 32 characters, or be empty to use the database's");
        }
    }

    /** Settings from {@code explicit} values over the process environment. */
    public static GatewaySettings of(Map<String, String> explicit) {
        return new GatewaySettings(explicit, System::getenv);
    }

    public List<String> getList(Key key) {
        return Arrays.stream(get(key).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
