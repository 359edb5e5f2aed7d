// SPDX-License-Identifier: MIT
package io.tmidb.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * A body read once, copied on in consecutive slices of known length (one per request to the store)
 * through one buffer, counted and hashed on the way. What goes wrong with the body itself (a read
 * that failed, an end before the expected length) is kept apart from what goes wrong with the
 * store (an exception from the output). Not thread-safe: one upload's thread uses it.
 */
final class HashingBody {
    /** 64 KiB: what a loopback or LAN socket takes in one write, and a few of them per upload at most. */
    private static final int BUFFER = 64 << 10;
    private final InputStream body;
    private final MessageDigest md = Sha256.digest();
    private final byte[] buf = new byte[BUFFER];
    private long count;
    private boolean ended;
    private IOException readFailure;
    private String sha256;

    HashingBody(InputStream body) {
        this.body = body;
    }

    /**
     * Copies the next {@code length} bytes of the body into {@code out}; answers false when the body
     * failed or ended first ({@link #readFailure()}, {@link #ended()}). A failure to write is thrown.
     */
    boolean copy(OutputStream out, long length) throws IOException {
        for (long left = length; left > 0; ) {
            int n;
            try {
                n = body.read(buf, 0, (int) Math.min(buf.length, left));
            } catch (IOException e) {
                readFailure = e;
                return false;
            }
            if (n < 0) {
                ended = true;
                return false;
            }
            md.update(buf, 0, n);
            count += n;
            left -= n;
            out.write(buf, 0, n);
        }
        return true;
    }

    long count() {
        return count;
    }

    /** Whether the body ended before a slice was complete. */
    boolean ended() {
        return ended;
    }

    IOException readFailure() {
        return readFailure;
    }

    /** The hex SHA-256 of what was read; ends the hashing. */
    String sha256() {
        if (sha256 == null) {
            sha256 = Sha256.hex(md.digest());
        }
        return sha256;
    }
}
