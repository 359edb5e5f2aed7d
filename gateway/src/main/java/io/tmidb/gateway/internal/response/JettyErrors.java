// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.gateway.internal.error.ApiException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Errors the HTTP server answers before a request reaches the gateway (a URI too long, an
 * ambiguous path, a malformed request) in the same JSON shape as every other error.
 */
public final class JettyErrors extends ErrorHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpField CONTENT_TYPE = new HttpField(HttpHeader.CONTENT_TYPE, Responses.JSON);

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    private static byte[] body(int code, String message) {
        ApiException e = new ApiException(code, "PGRST000", message == null || message.isBlank() ? "HTTP " + code : message,
                null, "The HTTP server refused the request before it was parsed; check the URL and headers.");
        try {
            return JSON.writeValueAsString(e.body()).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException x) {
            throw new IllegalStateException(x);
        }
    }
}
