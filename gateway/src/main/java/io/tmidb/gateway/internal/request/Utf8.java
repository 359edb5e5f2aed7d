// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding. Java's usual decoders replace malformed bytes with U+FFFD, which would
 * store or match text the client never sent; here they are refused instead.
 */
public final class Utf8 {
    private Utf8() {
    }

    /** The text, or null when the bytes are not valid UTF-8. */
    public static String decode(byte[] bytes, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
