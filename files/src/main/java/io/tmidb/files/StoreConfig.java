// SPDX-License-Identifier: MIT
package io.tmidb.files;

import io.tmidb.settings.Setting;
import io.tmidb.settings.Settings;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the object store is and how to sign for it: an S3-compatible endpoint, its region, the
 * bucket files go to, the access key pair and whether buckets are addressed in the path
 * ({@code http://host/bucket/key}, what S3Proxy, SeaweedFS and MinIO expect) rather than the host
 * name. {@link #toString()} never shows the secret key.
 */
public record StoreConfig(URI endpoint, String region, String bucket, String accessKey, String secretKey, boolean pathStyle) {
    public StoreConfig {
        if (endpoint == null || endpoint.getScheme() == null || endpoint.getHost() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
            throw new IllegalArgumentException("s3-endpoint must be an http:// or https:// URL, got '" + endpoint + "'");
        }
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("s3-region must not be empty (S3Proxy, SeaweedFS and MinIO accept us-east-1)");
        }
        // S3's bucket naming rule, which every S3-compatible store accepts
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("s3-bucket must be 3 to 63 lower-case letters, digits, dots and hyphens, got '" + bucket + "'");
        }
        if (accessKey == null || accessKey.isEmpty() || secretKey == null || secretKey.isEmpty()) {
            throw new IllegalArgumentException("s3-access-key and s3-secret-key must both be set for " + endpoint);
        }
    }

    /**
     * The store a program's settings name ({@code s3-endpoint}, {@code s3-region}, ...), or empty when
     * {@code s3-endpoint} is: that program has no files. Used by every program that talks to the store.
     */
    public static Optional<StoreConfig> of(Settings s) {
        String endpoint = s.get(Setting.S3_ENDPOINT);
        if (endpoint.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new StoreConfig(URI.create(endpoint.strip()), s.get(Setting.S3_REGION), s.get(Setting.S3_BUCKET),
                s.get(Setting.S3_ACCESS_KEY), s.get(Setting.S3_SECRET_KEY), s.getBoolean(Setting.S3_PATH_STYLE)));
    }

    /** The endpoint as shown to people: scheme, host and port. */
    public String where() {
        return endpoint.getScheme().toLowerCase(Locale.ROOT) + "://" + endpoint.getHost()
                + (endpoint.getPort() < 0 ? "" : ":" + endpoint.getPort());
    }

    @Override
    public String toString() {
        return "StoreConfig[" + where() + ", region " + region + ", bucket " + bucket + ", access key " + accessKey
                + ", secret key ****, path style " + pathStyle + "]";
    }
}
