// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import io.tmidb.cluster.EmbeddedS3;
import io.tmidb.settings.Setting;
import io.tmidb.settings.Settings;

import java.util.HashMap;
import java.util.Map;

/**
 * The object store that holds files: an external S3-compatible endpoint with its region, bucket,
 * key pair and addressing, or, with no endpoint, the embedded store on {@code embeddedPort}.
 */
public record ObjectStoreOptions(String endpoint, String region, String bucket, String accessKey, String secretKey,
                                 boolean pathStyle, int embeddedPort) {
    /** The store as tmidbd's or tmictl's settings name it. */
    public static ObjectStoreOptions of(Settings s) {
        return new ObjectStoreOptions(s.get(Setting.S3_ENDPOINT), s.get(Setting.S3_REGION), s.get(Setting.S3_BUCKET),
                s.get(Setting.S3_ACCESS_KEY), s.get(Setting.S3_SECRET_KEY), s.getBoolean(Setting.S3_PATH_STYLE),
                s.getInt(Setting.S3_PORT));
    }

    public boolean external() {
        return endpoint != null && !endpoint.isBlank();
    }

    /** The settings of the store's clients, gateway and worker (TMIDB_* variables), given the embedded store's key pair. */
    Map<String, String> gatewayEnv(EmbeddedS3.Credentials embedded) {
        Map<String, String> env = new HashMap<>();
        env.put(Setting.S3_ENDPOINT.envName(), external() ? endpoint : EmbeddedS3.endpoint(embeddedPort));
        env.put(Setting.S3_REGION.envName(), region);
        env.put(Setting.S3_BUCKET.envName(), bucket);
        env.put(Setting.S3_ACCESS_KEY.envName(), external() ? nullToEmpty(accessKey) : embedded.accessKey());
        env.put(Setting.S3_SECRET_KEY.envName(), external() ? nullToEmpty(secretKey) : embedded.secretKey());
        env.put(Setting.S3_PATH_STYLE.envName(), Boolean.toString(external() ? pathStyle : true));
        return env;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
