// SPDX-License-Identifier: MIT
package io.tmidb.files;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.PresignedUploadPartRequest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Uploads of unknown content: the body is read one part at a time into a buffer of
 * {@link #PART_BYTES} and sent as a part of an S3 multipart upload, while the next part is read
 * into a second buffer, so memory per upload is two parts whatever the size; a body that fits one
 * part is one PUT. The SHA-256 is computed on the way. Parts go to presigned part URLs: the SDK's own
 * requests would sign each payload (SigV4 over plain HTTP hashes every byte), a second pass over
 * bytes this class hashes already.
 */
final class StreamedUploads {
    /** 8 MiB: above S3's 5 MiB minimum for all parts but the last, and few requests per gigabyte. */
    static final int PART_BYTES = 8 << 20;
    private static final Duration PART_URL_LIFE = Duration.ofMinutes(15);

    private final S3Client s3;
    private final S3Presigner presigner;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String bucket;

    StreamedUploads(S3Client s3, S3Presigner presigner, String bucket) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
    }

    Stored upload(String key, String contentType, InputStream in, long maxBytes) {
        MessageDigest md = Sha256.digest();
        byte[] current = new byte[PART_BYTES];
        int length = fill(in, current);
        long total = length;
        md.update(current, 0, length);
        check(total, maxBytes);
        if (length < PART_BYTES) {
            int size = length;
            byte[] body = current;
            try {
                s3.putObject(r -> r.bucket(bucket).key(key).contentType(contentType).contentLength((long) size),
                        RequestBody.fromInputStream(new ByteArrayInputStream(body, 0, size), size));
            } catch (SdkException e) {
                throw ObjectStore.unavailable("cannot store object " + key, e);
            }
            return new Stored(total, Sha256.hex(md.digest()), "stream");
        }
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType)).uploadId();
        } catch (SdkException e) {
            throw ObjectStore.unavailable("cannot start a multipart upload of " + key, e);
        }
        boolean done = false;
        CompletableFuture<CompletedPart> inFlight = null;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            byte[] spare = new byte[PART_BYTES];
            int number = 0;
            while (length > 0) {
                CompletableFuture<CompletedPart> sent = send(key, uploadId, ++number, current, length);
                if (inFlight != null) {
                    parts.add(join(inFlight));
                }
                inFlight = sent;
                // the buffer of the part before is free again: read the next part into it while this one is sent
                byte[] free = spare;
                spare = current;
                current = free;
                length = fill(in, current);
                total += length;
                md.update(current, 0, length);
                check(total, maxBytes);
            }
            parts.add(join(inFlight));
            inFlight = null;
            s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
            done = true;
            return new Stored(total, Sha256.hex(md.digest()), "stream");
        } catch (SdkException e) {
            throw ObjectStore.unavailable("cannot store object " + key, e);
        } finally {
            if (!done) {
                if (inFlight != null) {
                    inFlight.handle((part, error) -> null).join();
                }
                try {
                    s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
                } catch (SdkException ignored) {
                    // the store drops abandoned parts itself; the failure that brought us here is what matters
                }
            }
        }
    }

    /** PUTs part {@code number} to its presigned URL; completes with the part and its ETag. */
    private CompletableFuture<CompletedPart> send(String key, String uploadId, int number, byte[] buf, int length) {
        PresignedUploadPartRequest p;
        try {
            p = presigner.presignUploadPart(r -> r.signatureDuration(PART_URL_LIFE).uploadPartRequest(u -> u.bucket(bucket).key(key)
                    .uploadId(uploadId).partNumber(number).contentLength((long) length)));
        } catch (SdkException e) {
            throw ObjectStore.unavailable("cannot presign part " + number + " of " + key, e);
        }
        HttpRequest.Builder put = HttpRequest.newBuilder(URI.create(p.url().toString())).timeout(Duration.ofMinutes(5))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(buf, 0, length));
        p.signedHeaders().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host") && !name.equalsIgnoreCase("content-length")) {
                put.header(name, String.join(",", values));
            }
        });
        return http.sendAsync(put.build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new FileException(FileException.Code.UNAVAILABLE, "the store refused part " + number + " of " + key + ": "
                        + r.statusCode() + " " + r.body());
            }
            return CompletedPart.builder().partNumber(number).eTag(r.headers().firstValue("ETag").orElseThrow(() ->
                    new FileException(FileException.Code.UNAVAILABLE, "the store answered part " + number + " without an ETag"))).build();
        });
    }

    private static CompletedPart join(CompletableFuture<CompletedPart> part) {
        try {
            return part.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof FileException f) {
                throw f;
            }
            throw new FileException(FileException.Code.UNAVAILABLE, "a part could not be sent: " + e.getCause(), e.getCause());
        }
    }

    private static void check(long total, long maxBytes) {
        if (total > maxBytes) {
            throw new FileException(FileException.Code.TOO_LARGE, "the body has more than " + maxBytes + " bytes");
        }
    }

    /** Reads until the buffer is full or the stream ends; answers how many bytes it holds. */
    private static int fill(InputStream in, byte[] buf) {
        int n = 0;
        try {
            while (n < buf.length) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (IOException e) {
            throw new FileException(FileException.Code.UNAVAILABLE, "the upload's body could not be read: " + e.getMessage(), e);
        }
        return n;
    }
}
