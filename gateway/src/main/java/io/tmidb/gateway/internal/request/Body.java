// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.javalin.http.Context;
import io.tmidb.gateway.internal.error.ApiException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Reads a request body: at most {@code max-body} bytes (more is 413, whether announced by
 * Content-Length or found while reading a chunked body), and valid UTF-8 only (400 PGRST102, as
 * for any body that is not JSON), so a malformed byte never turns into a replacement character.
 */
public final class Body {
    private Body() {
    }

    public static String read(Context ctx, long maxBytes) {
        long announced = ctx.req().getContentLengthLong();
        if (announced > maxBytes) {
            throw tooLarge(announced + " bytes", maxBytes);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try (InputStream in = ctx.req().getInputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (out.size() + (long) n > maxBytes) {
                    throw tooLarge("more than " + maxBytes + " bytes", maxBytes);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the request body", e);
        }
        String text = Utf8.decode(out.toByteArray(), out.size());
        if (text == null) {
            throw ApiException.body("Empty or invalid json", "The request body is not valid UTF-8.");
        }
        return text;
    }

    private static ApiException tooLarge(String size, long maxBytes) {
        return new ApiException(413, "PGRST000", "Request body too large", "The body has " + size
                + "; the gateway accepts at most " + maxBytes + ".", "Send fewer rows per request, or raise the gateway setting max-body.");
    }
}
