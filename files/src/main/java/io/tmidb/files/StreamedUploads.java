// SPDX-License-Identifier: MIT
package io.tmidb.files;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Uploads of unknown length: the body is read one part at a time into a buffer of
 * {@link #PART_BYTES} and sent as a part of an S3 multipart upload, so memory per upload is one
 * part whatever the size; a body that fits one part is one PUT. The SHA-256 is computed on the way.
 */
final class StreamedUploads {
    /** 8 MiB: above S3's 5 MiB minimum for all parts but the last, and few requests per gigabyte. */
    static final int PART_BYTES = 8 << 20;

    private final S3Client s3;
    private final String bucket;

    StreamedUploads(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    Stored upload(String key, String contentType, InputStream in, long maxBytes) {
        MessageDigest md = Sha256.digest();
        byte[] part = new byte[PART_BYTES];
        long total = 0;
        int filled = fill(in, part);
        total += filled;
        md.update(part, 0, filled);
        check(total, maxBytes);
        if (filled < PART_BYTES) {
            int length = filled;
            try {
                s3.putObject(r -> r.bucket(bucket).key(key).contentType(contentType).contentLength((long) length),
                        body(part, length));
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
        try {
            List<CompletedPart> parts = new ArrayList<>();
            while (filled > 0) {
                int number = parts.size() + 1;
                int length = filled;
                String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                        .contentLength((long) length), body(part, length)).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                filled = fill(in, part);
                total += filled;
                md.update(part, 0, filled);
                check(total, maxBytes);
            }
            s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
            done = true;
            return new Stored(total, Sha256.hex(md.digest()), "stream");
        } catch (SdkException e) {
            throw ObjectStore.unavailable("cannot store object " + key, e);
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

    private static void check(long total, long maxBytes) {
        if (total > maxBytes) {
            throw new FileException(FileException.Code.TOO_LARGE, "the body has more than " + maxBytes + " bytes");
        }
    }

    /** The first {@code length} bytes of the buffer, without a copy (RequestBody.fromBytes would copy the part). */
    private static RequestBody body(byte[] part, int length) {
        return RequestBody.fromInputStream(new ByteArrayInputStream(part, 0, length), length);
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
