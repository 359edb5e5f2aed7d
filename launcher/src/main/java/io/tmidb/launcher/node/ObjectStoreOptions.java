// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import java.util.HashMap;
import java.util.Map;

/**
 * The object store that holds files: an external S3-compatible endpoint with its region, bucket,
 * key pair and addressing, or, with no endpoint, the embedded store on {@code embeddedPort}.
 */
public record ObjectStoreOptions(String endpoint, String region, String bucket, String accessKey, String secretKey,
                                 boolean pathStyle, int embeddedPort) {
    public boolean external() {
        return endpoint != null && !endpoint.isBlank();
    }

    /** The gateway's settings for this store (as TMIDB_* variables), given the embedded store's key pair. */
    Map<String, String> gatewayEnv(EmbeddedS3.Credentials embedded) {
        Map<String, String> env = new HashMap<>();
        env.put("TMIDB_S3_ENDPOINT", external() ? endpoint : EmbeddedS3.endpoint(embeddedPort));
        env.put("TMIDB_S3_REGION", region);
        env.put("TMIDB_S3_BUCKET", bucket);
        env.put("TMIDB_S3_ACCESS_KEY", external() ? nullToEmpty(accessKey) : embedded.accessKey());
        env.put("TMIDB_S3_SECRET_KEY", external() ? nullToEmpty(secretKey) : embedded.secretKey());
        env.put("TMIDB_S3_PATH_STYLE", Boolean.toString(external() ? pathStyle : true));
        return env;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
