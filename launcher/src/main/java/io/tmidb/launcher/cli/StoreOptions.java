// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine.Option;

/**
 * The options naming the object store that holds files (docs/files.md), for the commands that run a
 * node or copy its files (help, default and check from {@link io.tmidb.settings.Setting}, see
 * {@link ConfigDefaults}); commands read them with {@link ConfigDefaults#of}. The key pair is best
 * kept in tmidb.conf or the environment, not on a command line.
 */
public final class StoreOptions {
    @Option(names = "--s3-endpoint", paramLabel = "URL")
    String endpoint;

    @Option(names = "--s3-region")
    String region;

    @Option(names = "--s3-bucket")
    String bucket;

    @Option(names = "--s3-access-key")
    String accessKey;

    @Option(names = "--s3-secret-key")
    String secretKey;

    @Option(names = "--s3-path-style", arity = "1")
    boolean pathStyle;

    @Option(names = "--s3-port")
    int port;
}
