// SPDX-License-Identifier: MIT
package io.tmidb.files;

/**
 * An object as found in the store: its size, and its SHA-256 (lower-case hex) when known.
 * {@code sha256From} says how it was learnt: {@code "checksum"} (the store kept the
 * x-amz-checksum-sha256 the upload was signed with and verified), {@code "read"} (the object was
 * read back and hashed) or {@code "stream"} (hashed while it was streamed in).
 */
public record Stored(long size, String sha256, String sha256From) {
}
