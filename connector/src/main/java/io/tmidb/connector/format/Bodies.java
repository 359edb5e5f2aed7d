// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import io.tmidb.connector.FetchException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Decoding bodies strictly: a body that is not text in its charset is refused, not mangled. */
final class Bodies {
    private static final Pattern CHARSET = Pattern.compile("(?i);\\s*charset\\s*=\\s*\"?([^\";\\s]+)");

    private Bodies() {
    }

    /** The charset named by a Content-Type, when it names one this JVM knows. */
    static Optional<Charset> charset(String contentType) {
        if (contentType == null) {
            return Optional.empty();
        }
        Matcher m = CHARSET.matcher(contentType);
        if (!m.find()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Charset.forName(m.group(1).toLowerCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The body as text in the Content-Type's charset (UTF-8 when none), refusing bytes that are not. */
    static String text(byte[] body, String contentType, String format) throws FetchException {
        Charset cs = charset(contentType).orElse(StandardCharsets.UTF_8);
        String text;
        try {
            text = cs.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new FetchException(FetchException.Code.BAD_BODY, "the body is not valid " + cs.name() + " text, so not "
                    + format + " (" + body.length + " bytes, Content-Type " + contentType + ")", e);
        }
        if (text.indexOf('\0') >= 0) {
            throw binary(format);
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** Refuses a body with NUL bytes: it is binary data, and PostgreSQL's jsonb cannot hold NUL anyway. */
    static void requireNoNul(byte[] body, String format) throws FetchException {
        for (byte b : body) {
            if (b == 0) {
                throw binary(format);
            }
        }
    }

    private static FetchException binary(String format) {
        return new FetchException(FetchException.Code.BAD_BODY, "the body contains NUL characters, so it is binary, not " + format);
    }
}
