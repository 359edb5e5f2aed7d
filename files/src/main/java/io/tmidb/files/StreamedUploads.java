// SPDX-License-Identifier: MIT
package io.tmidb.files;

import software.amazon.awssdk.awscore.presigner.PresignedRequest;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Uploads of a body of known length read from a stream: the bytes go on to the store as they
 * arrive, hashed on the way, with nothing held but the HTTP client's small buffers, so memory per
 * upload is the same whatever the size. A body up to {@link ObjectStore#SINGLE_PUT_MAX} is one PUT to a
 * presigned URL that signs its length, type and declared SHA-256 (the store refuses another body,
 * as for the presigned uploads of {@code POST /files}); a longer one is an S3 multipart upload whose
 * parts are streamed one after the other the same way, completed only when the whole body has the
 * declared hash. The body is copied on the request's thread with one small buffer into a
 * fixed-length PUT to a presigned URL: the SDK's own requests would sign each payload (SigV4 over
 * plain HTTP hashes every byte, a second pass over bytes this class hashes already), and
 * {@code java.net.http} hands every 16 KiB to other threads in a fresh buffer.
 */
final class StreamedUploads {
    /** Parts of a longer body: 1 GiB, so S3's 10,000 parts reach 10 TiB, more than its 5 TiB per object. */
    static final long PART_BYTES = 1L << 30;

    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;
    private final long singlePutMax;
    private final long partBytes;

    StreamedUploads(S3Client s3, S3Presigner presigner, String bucket, long singlePutMax, long partBytes) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.singlePutMax = singlePutMax;
        this.partBytes = partBytes;
    }

    /**
     * Stores the {@code size} bytes of {@code body} under {@code key}; {@code ttl} bounds how long it
     * may take. A body of another length ({@code SIZE_MISMATCH}) or hash ({@code HASH_MISMATCH}) is
     * refused with both values; an object may then be left behind (a store that does not check the
     * signed checksum), which the caller deletes.
     */
    Stored upload(String key, String contentType, InputStream body, long size, String sha256Hex, Duration ttl) {
        HashingBody in = new HashingBody(body);
        if (size <= singlePutMax) {
            PresignedRequest put = presign(key, () -> presigner.presignPutObject(r -> r.signatureDuration(ttl)
                    .putObjectRequest(o -> o.bucket(bucket).key(key).contentType(contentType).contentLength(size)
                            .checksumSHA256(Sha256.hexToBase64(sha256Hex)))));
            FileException failed = send(put, in, size, ttl, "object " + key).failure();
            return checked(in, size, sha256Hex, failed);
        }
        String uploadId = call("cannot start a multipart upload of " + key,
                () -> s3.createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType)).uploadId());
        boolean done = false;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            for (long sent = 0; sent < size; ) {
                int number = parts.size() + 1;
                long length = Math.min(partBytes, size - sent);
                PresignedRequest put = presign(key, () -> presigner.presignUploadPart(r -> r.signatureDuration(ttl)
                        .uploadPartRequest(u -> u.bucket(bucket).key(key).uploadId(uploadId).partNumber(number).contentLength(length))));
                Sent part = send(put, in, length, ttl, "part " + number + " of " + key);
                if (part.etag() == null) {
                    return checked(in, size, sha256Hex, part.failure()); // throws: the body or the store failed
                }
                parts.add(CompletedPart.builder().partNumber(number).eTag(part.etag()).build());
                sent += length;
            }
            Stored stored = checked(in, size, sha256Hex, null);
            call("cannot complete the multipart upload of " + key, () -> s3.completeMultipartUpload(r -> r.bucket(bucket).key(key)
                    .uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
            done = true;
            return stored;
        } finally {
            if (!done) {
                try {
                    s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
                } catch (SdkException ignored) {
                    // the store drops abandoned parts itself; the failure that brought us here is what matters
                }
            }
        }
    }

    /** What one PUT did: the ETag the store answered, or why the store failed (null: the body failed). */
    private record Sent(String etag, FileException failure) {
    }

    /**
     * PUTs the next {@code length} bytes of the body to the presigned request, copied on this thread
     * as they arrive, straight into the connection (fixed-length streaming: no chunked encoding and
     * no buffering of the body by the HTTP client).
     */
    private Sent send(PresignedRequest p, HashingBody in, long length, Duration ttl, String what) {
        HttpURLConnection c = null;
        try {
            c = PresignedCall.open(p, ttl);
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(length);
            try (OutputStream out = c.getOutputStream()) {
                if (!in.copy(out, length)) {
                    c.disconnect(); // the body failed or ended: the store must not take what was sent
                    return new Sent(null, null);
                }
            }
            int status = c.getResponseCode();
            if (status != 200) {
                return new Sent(null, new FileException(FileException.Code.UNAVAILABLE, "the store refused " + what + ": "
                        + status + " " + PresignedCall.answer(c.getErrorStream())));
            }
            PresignedCall.answer(c.getInputStream()); // read to the end, so that the connection is kept for the next request
            String etag = c.getHeaderField("ETag");
            return etag != null ? new Sent(etag, null)
                    : new Sent(null, new FileException(FileException.Code.UNAVAILABLE, "the store answered " + what + " without an ETag"));
        } catch (IOException e) {
            if (c != null) {
                c.disconnect();
            }
            return new Sent(null, new FileException(FileException.Code.UNAVAILABLE, "cannot store " + what + ": " + e, e));
        }
    }

    /**
     * The outcome once the store is done: the body's own faults (it could not be read, it ended
     * early, its hash is not the declared one) come before the store's, which a wrong body causes
     * (the store refuses a body whose checksum is not the signed one).
     */
    private static Stored checked(HashingBody in, long size, String sha256Hex, FileException storeFailure) {
        if (in.readFailure() != null) {
            throw new FileException(FileException.Code.UNAVAILABLE, "the upload's body could not be read: "
                    + in.readFailure().getMessage(), in.readFailure());
        }
        if (in.ended() || (in.count() < size && storeFailure == null)) {
            throw new FileException(FileException.Code.SIZE_MISMATCH, "the body has " + in.count() + " bytes, " + size
                    + " were declared");
        }
        if (in.count() == size && !in.sha256().equals(sha256Hex)) {
            throw new FileException(FileException.Code.HASH_MISMATCH, "the body's SHA-256 is " + in.sha256() + ", "
                    + sha256Hex + " was declared");
        }
        if (storeFailure != null) {
            throw storeFailure;
        }
        return new Stored(size, in.sha256(), "stream");
    }

    private static <T> T presign(String key, java.util.function.Supplier<T> op) {
        return call("cannot presign an upload of " + key, op);
    }

    private static <T> T call(String what, java.util.function.Supplier<T> op) {
        try {
            return op.get();
        } catch (SdkException e) {
            throw ObjectStore.unavailable(what, e);
        }
    }
}
