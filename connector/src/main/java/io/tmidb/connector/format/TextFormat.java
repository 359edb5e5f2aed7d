// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tmidb.connector.FetchException;

/** {@code text}: {@code {"text": "<the body>"}}. */
final class TextFormat implements Format {
    @Override
    public JsonNode convert(byte[] body, String contentType, JsonNode options) throws FetchException {
        return JsonNodeFactory.instance.objectNode().put("text", Bodies.text(body, contentType, "text"));
    }
}
