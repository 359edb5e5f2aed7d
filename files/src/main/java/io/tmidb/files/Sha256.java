// SPDX-License-Identifier: MIT
package io.tmidb.files;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** SHA-256 digests and the two spellings of one: hex (tmiDB's) and base64 (S3's checksum headers). */
public final class Sha256 {
    private Sha256() {
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    public static boolean isHex(String s) {
        return s != null && s.matches("[0-9a-f]{64}");
    }

    public static String hexToBase64(String hex) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }

    public static String base64ToHex(String b64) {
        return HexFormat.of().formatHex(Base64.getDecoder().decode(b64));
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
