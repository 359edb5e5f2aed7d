// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.connector.FetchPolicy;

import io.tmidb.settings.SettingKey;
import io.tmidb.settings.Settings;

import java.util.Map;
import java.util.function.Function;

/**
 * The worker's settings registry: every key with its default and meaning. A value comes from
 * the explicit map (command line or test), else the environment variable
 * {@code TMIDB_<KEY>} (upper case, '-' as '_'), else the default.
 */
public final class WorkerSettings extends Settings<WorkerSettings.Key> {
    /** Every setting the worker reads. */
    public enum Key implements SettingKey {
        DB_URL("db-url", "jdbc:postgresql://localhost:5432/tmidb", "JDBC URL of the tmiDB database"),
        DB_USER("db-user", "postgres", "database user the worker connects as"),
        DB_PASSWORD("db-password", "", "that user's password (shown masked)"),
        BATCH_SIZE("batch-size", "500", "raw documents claimed per transaction by the stored-logic host"),
        SWEEP_INTERVAL("sweep-interval", "PT5S", "how often services look for work without a notification (ISO-8601 duration)"),
        PARTITION_INTERVAL("partition-interval", "PT1H", "how often ts_obs partitions are created ahead (ISO-8601 duration)"),
        CONNECTOR_ALLOW_PRIVATE("connector-allow-private", "false",
                "whether connectors may fetch from loopback, private, link-local and cloud metadata addresses (true/false)"),
        CONNECTOR_ALLOWED_ADDRESSES("connector-allowed-addresses", "",
                "comma-separated IP addresses connectors may fetch from although they are private (e.g. an intranet feed server)"),
        CONNECTOR_CONNECT_TIMEOUT("connector-connect-timeout", FetchPolicy.DEFAULT_CONNECT_TIMEOUT.toString(),
                "how long a connector waits for a connection (ISO-8601 duration)"),
        CONNECTOR_READ_TIMEOUT("connector-read-timeout", FetchPolicy.DEFAULT_READ_TIMEOUT.toString(),
                "how long one connector request may take, to the last body byte (ISO-8601 duration)"),
        CONNECTOR_MAX_BODY_BYTES("connector-max-body-bytes", String.valueOf(FetchPolicy.DEFAULT_MAX_BODY_BYTES),
                "largest response body a connector accepts, in bytes"),
        CONNECTOR_MAX_REDIRECTS("connector-max-redirects", String.valueOf(FetchPolicy.DEFAULT_MAX_REDIRECTS),
                "redirects a connector follows before failing"),
        CONNECTOR_BACKOFF_MAX("connector-backoff-max", "PT1H",
                "longest wait after repeated connector failures (ISO-8601 duration); the wait doubles per failure from the connector's interval"),
        CONNECTOR_THREADS("connector-threads", "4", "connectors fetched at the same time"),
        NATS_URL("nats-url", "nats://127.0.0.1:4222", "NATS server the event relay publishes to; empty turns the relay off"),
        RELAY_STREAM("relay-stream", "TMI", "JetStream stream the relay publishes to; created with subjects tmi.> when missing"),
        RELAY_CURSOR("relay-cursor", "nats", "name of the relay's cursor in tmi.relay_cursor"),
        RELAY_WINDOW("relay-window", "1000", "events the relay publishes ahead of their acknowledgements"),
        RELAY_ACK_TIMEOUT("relay-ack-timeout", "PT5S", "how long the relay waits for an acknowledgement before reconnecting (ISO-8601 duration)"),
        RELAY_DUPLICATE_WINDOW("relay-duplicate-window", "PT2M", "how long a stream the relay creates remembers message ids to drop duplicates (ISO-8601 duration)"),
        RELAY_MAX_BACKOFF("relay-max-backoff", "PT30S", "longest pause between attempts to reach NATS (ISO-8601 duration)");

        private final Spec spec;

        Key(String name, String defaultValue, String description) {
            spec = new Spec(name, defaultValue, description);
        }

        @Override
        public Spec spec() {
            return spec;
        }
    }

    private WorkerSettings(Map<String, String> explicit, Function<String, String> env) {
        super(Key.class, "worker", explicit, env);
    }

    /** Settings from {@code explicit} values over the process environment. */
    public static WorkerSettings of(Map<String, String> explicit) {
        return new WorkerSettings(explicit, System::getenv);
    }
}
