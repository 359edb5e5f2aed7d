// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.launcher.node.ObjectStoreOptions;
import picocli.CommandLine.Option;

/** Options for the services a node runs beside the server. */
public final class ServiceOptions {
    @Option(names = "--nats-url", paramLabel = "URL",
            description = "An external NATS server for the event relay (env TMIDB_NATS_URL). Without it, the node runs"
                    + " nats-server with JetStream on 127.0.0.1:4222 when that program is installed.")
    String natsUrl;

    @Option(names = "--gateway-port", defaultValue = "3000",
            description = "Port of the REST/WebSocket gateway (env TMIDB_GATEWAY_PORT; default ${DEFAULT-VALUE}).")
    int gatewayPort;

    // files (docs/files.md): the object store; the key pair is best kept in the configuration file or the environment
    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "An external S3-compatible object store for files (env TMIDB_S3_ENDPOINT). Without it, the node runs"
                    + " its embedded store (S3Proxy, objects in <data dir>/objects) on 127.0.0.1:--s3-port.")
    String s3Endpoint;

    @Option(names = "--s3-region", defaultValue = "us-east-1", description = "The object store's region (env TMIDB_S3_REGION; default ${DEFAULT-VALUE}).")
    String s3Region;

    @Option(names = "--s3-bucket", defaultValue = "tmidb", description = "Bucket for files (env TMIDB_S3_BUCKET; default ${DEFAULT-VALUE}).")
    String s3Bucket;

    @Option(names = "--s3-access-key", description = "Access key of the external store (env TMIDB_S3_ACCESS_KEY).")
    String s3AccessKey;

    @Option(names = "--s3-secret-key", description = "Secret key of the external store (env TMIDB_S3_SECRET_KEY; never shown).")
    String s3SecretKey;

    @Option(names = "--s3-path-style", defaultValue = "true",
            description = "Address buckets in the path, not the host name, at the external store (env TMIDB_S3_PATH_STYLE; default ${DEFAULT-VALUE}).")
    boolean s3PathStyle;

    @Option(names = "--s3-port", defaultValue = "9010",
            description = "Port of the embedded object store on 127.0.0.1 (env TMIDB_S3_PORT; default ${DEFAULT-VALUE}).")
    int s3Port;

    public ObjectStoreOptions objectStore() {
        return new ObjectStoreOptions(s3Endpoint, s3Region, s3Bucket, s3AccessKey, s3SecretKey, s3PathStyle, s3Port);
    }
}
