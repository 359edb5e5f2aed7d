// SPDX-License-Identifier: MIT
package io.tmidb.files;

/** An object copied between the store and a file: its key, size, SHA-256 (hex) and media type. */
public record Copied(String key, long size, String sha256, String contentType) {
}
