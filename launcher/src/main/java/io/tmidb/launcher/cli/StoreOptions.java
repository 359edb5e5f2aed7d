// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.launcher.node.ObjectStoreOptions;
import picocli.CommandLine.Option;

/**
 * Options naming the object store that holds files (docs/files.md), for the commands that run a
 * node or copy its files. The key pair is best kept in the configuration file or the environment.
 */
public final class StoreOptions {
    @Option(names = "--s3-endpoint", paramLabel = "URL",
            description = "An external S3-compatible object store for files (env TMIDB_S3_ENDPOINT). Without it, the node runs"
                    + " its embedded store (S3Proxy, objects in <data dir>/objects) on 127.0.0.1:--s3-port.")
    String endpoint;

    @Option(names = "--s3-region", defaultValue = "us-east-1", description = "The object store's region (env TMIDB_S3_REGION; default ${DEFAULT-VALUE}).")
    String region;

    @Option(names = "--s3-bucket", defaultValue = "tmidb", description = "Bucket for files (env TMIDB_S3_BUCKET; default ${DEFAULT-VALUE}).")
    String bucket;

    @Option(names = "--s3-access-key", description = "Access key of the external store (env TMIDB_S3_ACCESS_KEY).")
    String accessKey;

    @Option(names = "--s3-secret-key", description = "Secret key of the external store (env TMIDB_S3_SECRET_KEY; never shown).")
    String secretKey;

    @Option(names = "--s3-path-style", defaultValue = "true", arity = "1",
            description = "Address buckets in the path, not the host name, at the external store (env TMIDB_S3_PATH_STYLE; default ${DEFAULT-VALUE}).")
    boolean pathStyle;

    @Option(names = "--s3-port", defaultValue = "9010",
            description = "Port of the embedded object store on 127.0.0.1 (env TMIDB_S3_PORT; default ${DEFAULT-VALUE}).")
    int port;

    ObjectStoreOptions objectStore() {
        return new ObjectStoreOptions(endpoint, region, bucket, accessKey, secretKey, pathStyle, port);
    }

    /** The options again for a command line (without the key pair: a command line is visible in ps). */
    java.util.List<String> forwarded() {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--s3-region", region, "--s3-bucket", bucket,
                "--s3-path-style", String.valueOf(pathStyle), "--s3-port", String.valueOf(port)));
        if (endpoint != null) {
            args.addAll(java.util.List.of("--s3-endpoint", endpoint));
        }
        return args;
    }
}
