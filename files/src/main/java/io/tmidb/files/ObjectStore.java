// SPDX-License-Identifier: MIT
package io.tmidb.files;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedGetObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedHeadObjectRequest;
import software.amazon.awssdk.services.s3.presigner.model.PresignedPutObjectRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The bucket that holds files, at an S3-compatible endpoint, through the AWS SDK for Java v2.
 * Thread-safe; one per process. Every failure to reach the store or a refusal by it is a
 * {@link FileException} with code {@code UNAVAILABLE} unless a more precise code applies.
 */
public final class ObjectStore implements AutoCloseable {
    /** The largest object one PUT stores in S3 (5 GiB), so the largest presigned upload. */
    public static final long SINGLE_PUT_MAX = 5L << 30;
    /** How long a request sent at once is signed for: a few minutes, so that a store whose clock runs a little ahead takes it. */
    private static final Duration SIGNED_REQUEST_TTL = Duration.ofMinutes(5);
    /** How long a HEAD may take to answer. */
    private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(30);
    private final StoreConfig config;
    private final S3Client s3;
    private final S3Presigner presigner;
    private final StreamedUploads streamed;

    public ObjectStore(StoreConfig config) {
        this(config, SINGLE_PUT_MAX, StreamedUploads.PART_BYTES);
    }

    /** With other limits of streamed uploads than S3's, so that tests reach multipart uploads with small bodies. */
    ObjectStore(StoreConfig config, long singlePutMax, long partBytes) {
        this.config = config;
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(config.accessKey(), config.secretKey()));
        Region region = Region.of(config.region());
        this.s3 = S3Client.builder().endpointOverride(config.endpoint()).region(region).credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle())
                // checksums only where the operation needs one: uploads carry the SHA-256 tmiDB asks for itself
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64))
                .build();
        this.presigner = S3Presigner.builder().endpointOverride(config.endpoint()).region(region).credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(config.pathStyle()).build())
                .build();
        this.streamed = new StreamedUploads(s3, presigner, config.bucket(), singlePutMax, partBytes);
    }

    public StoreConfig config() {
        return config;
    }

    /** Whether the bucket exists (a node's store has none until its gateway first starts). */
    public boolean bucketExists() {
        try {
            s3.headBucket(b -> b.bucket(config.bucket()));
            return true;
        } catch (NoSuchBucketException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw unavailable("cannot reach bucket " + config.bucket(), e);
        } catch (SdkException e) {
            throw unavailable("cannot reach bucket " + config.bucket(), e);
        }
    }

    /** Creates the bucket unless it exists. */
    public void ensureBucket() {
        if (!bucketExists()) {
            call(() -> s3.createBucket(b -> b.bucket(config.bucket())));
        }
    }

    /**
     * A presigned PUT of exactly {@code size} bytes of {@code contentType} whose SHA-256 is
     * {@code sha256Hex}: the length, type and checksum are signed, so the store refuses any other
     * body (S3 verifies x-amz-checksum-sha256 before it keeps the object).
     */
    public Presigned presignPut(String key, String contentType, long size, String sha256Hex, Duration ttl) {
        PresignedPutObjectRequest p = call(() -> presigner.presignPutObject(r -> r.signatureDuration(ttl)
                .putObjectRequest(o -> o.bucket(config.bucket()).key(key).contentType(contentType).contentLength(size)
                        .checksumSHA256(Sha256.hexToBase64(sha256Hex)))));
        return new Presigned("PUT", p.url().toString(), clientHeaders(p.signedHeaders()), p.expiration());
    }

    /** A presigned GET of the object in {@code bucket} that answers it as {@code contentType}, to be saved as {@code name}. */
    public Presigned presignGet(String bucket, String key, String name, String contentType, Duration ttl) {
        String disposition = "attachment; filename*=UTF-8''" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        PresignedGetObjectRequest p = call(() -> presigner.presignGetObject(r -> r.signatureDuration(ttl)
                .getObjectRequest(o -> o.bucket(bucket).key(key).responseContentType(contentType)
                        .responseContentDisposition(disposition))));
        return new Presigned("GET", p.url().toString(), clientHeaders(p.signedHeaders()), p.expiration());
    }

    /**
     * The object under {@code key}, if there is one, with its SHA-256 when the store kept its checksum:
     * a HEAD presigned with checksum mode, sent as a plain HTTP request (see {@link PresignedCall}).
     */
    public Optional<Stored> head(String key) {
        HttpURLConnection c = null;
        try {
            PresignedHeadObjectRequest p = presigner.presignHeadObject(r -> r.signatureDuration(SIGNED_REQUEST_TTL)
                    .headObjectRequest(o -> o.bucket(config.bucket()).key(key).checksumMode(ChecksumMode.ENABLED)));
            c = PresignedCall.open(p, HEAD_TIMEOUT);
            int status = c.getResponseCode();
            if (status == 404) {
                return Optional.empty();
            }
            if (status != 200) {
                // a HEAD answer has no body: the status is all the store says
                throw new FileException(FileException.Code.UNAVAILABLE, "cannot look at object " + key + ": the store answered "
                        + status + " " + c.getResponseMessage());
            }
            long size = c.getContentLengthLong();
            if (size < 0) {
                throw new FileException(FileException.Code.UNAVAILABLE, "cannot look at object " + key
                        + ": the store answered no Content-Length");
            }
            String checksum = c.getHeaderField("x-amz-checksum-sha256");
            String sha = checksum == null ? null : Sha256.base64ToHex(checksum);
            return Optional.of(new Stored(size, sha, sha == null ? null : "checksum"));
        } catch (IOException | SdkException e) {
            if (c != null) {
                c.disconnect();
            }
            throw unavailable("cannot look at object " + key, e);
        }
    }

    /**
     * Checks that the object under {@code key} has {@code size} bytes and SHA-256 {@code sha256Hex}:
     * by the store's checksum when it kept one, else by reading the object back. Answers what was found.
     */
    public Stored verify(String key, long size, String sha256Hex) {
        Stored found = head(key).orElseThrow(() -> new FileException(FileException.Code.MISSING,
                "no object at " + config.bucket() + "/" + key + ": upload it first"));
        if (found.size() != size) {
            throw new FileException(FileException.Code.SIZE_MISMATCH, "the object has " + found.size() + " bytes, "
                    + size + " were declared");
        }
        Stored hashed = found.sha256() != null ? found : read(key);
        if (!hashed.sha256().equals(sha256Hex)) {
            throw new FileException(FileException.Code.HASH_MISMATCH, "the object's SHA-256 is " + hashed.sha256()
                    + ", " + sha256Hex + " was declared");
        }
        return hashed;
    }

    /** Reads the object back and hashes it. */
    public Stored read(String key) {
        MessageDigest md = Sha256.digest();
        long n = 0;
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(config.bucket()).key(key))) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) {
                md.update(buf, 0, r);
                n += r;
            }
        } catch (NoSuchKeyException e) {
            throw new FileException(FileException.Code.MISSING, "no object at " + config.bucket() + "/" + key, e);
        } catch (IOException | SdkException e) {
            throw unavailable("cannot read object " + key, e);
        }
        return new Stored(n, Sha256.hex(md.digest()), "read");
    }

    /**
     * Streams the {@code size} bytes of {@code in} into the object under {@code key} as they are read,
     * hashing them on the way, in at most {@code ttl}; memory does not grow with the size. A body of
     * another length or SHA-256 than declared is refused ({@code SIZE_MISMATCH}, {@code HASH_MISMATCH});
     * the caller deletes what a store that does not check checksums may have kept.
     */
    public Stored upload(String key, String contentType, InputStream in, long size, String sha256Hex, Duration ttl) {
        return streamed.upload(key, contentType, in, size, sha256Hex, ttl);
    }

    /** Stores {@code bytes} under {@code key} as they are (for tests and small objects). */
    public void put(String key, String contentType, byte[] bytes) {
        call(() -> s3.putObject(r -> r.bucket(config.bucket()).key(key).contentType(contentType), RequestBody.fromBytes(bytes)));
    }

    /** Copies the object under {@code key} into the file {@code to}, hashing it on the way. */
    public Copied download(String key, Path to) {
        MessageDigest md = Sha256.digest();
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(config.bucket()).key(key));
             OutputStream out = Files.newOutputStream(to)) {
            byte[] buf = new byte[1 << 16];
            long n = 0;
            for (int r; (r = in.read(buf)) >= 0; ) {
                md.update(buf, 0, r);
                out.write(buf, 0, r);
                n += r;
            }
            return new Copied(key, n, Sha256.hex(md.digest()), in.response().contentType());
        } catch (NoSuchKeyException e) {
            throw new FileException(FileException.Code.MISSING, "no object at " + config.bucket() + "/" + key, e);
        } catch (IOException | SdkException e) {
            throw unavailable("cannot copy object " + key, e);
        }
    }

    /**
     * Stores the file {@code from} under {@code key} with its SHA-256 as the upload's checksum, so
     * the store refuses it unless the bytes it received have that hash.
     */
    public void upload(Copied object, Path from) {
        call(() -> s3.putObject(r -> r.bucket(config.bucket()).key(object.key()).contentType(object.contentType())
                .contentLength(object.size()).checksumSHA256(Sha256.hexToBase64(object.sha256())), RequestBody.fromFile(from)));
    }

    /** Deletes the object in {@code bucket} under {@code key}; an absent object is no error. */
    public void delete(String bucket, String key) {
        call(() -> s3.deleteObject(r -> r.bucket(bucket).key(key)));
    }

    /** Counts the bucket's objects and bytes (lists it: for status, not for every request). */
    public StoreTotals totals() {
        return call(() -> {
            long objects = 0;
            long bytes = 0;
            for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(config.bucket())).contents()) {
                objects++;
                bytes += o.size();
            }
            return new StoreTotals(objects, bytes);
        });
    }

    /** The keys in the bucket under {@code prefix}, in key order (for backups and tests). */
    public List<String> list(String prefix) {
        return call(() -> s3.listObjectsV2Paginator(r -> r.bucket(config.bucket()).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList());
    }

    @Override
    public void close() {
        presigner.close();
        s3.close();
    }

    /** The signed headers a client must send; {@code host} comes from the URL itself. */
    private static Map<String, String> clientHeaders(Map<String, List<String>> signed) {
        Map<String, String> out = new LinkedHashMap<>();
        signed.forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                out.put(name, String.join(",", values));
            }
        });
        return out;
    }

    private <T> T call(java.util.function.Supplier<T> op) {
        try {
            return op.get();
        } catch (SdkException e) {
            throw unavailable("object store " + config.where() + " bucket " + config.bucket(), e);
        }
    }

    static FileException unavailable(String what, Exception e) {
        return new FileException(FileException.Code.UNAVAILABLE, what + ": " + e.getMessage(), e);
    }
}
