// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.connector.FetchException;

/** {@code json}: the document as it is. */
final class JsonFormat implements Format {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @Override
    public JsonNode convert(byte[] body, String contentType, JsonNode options) throws FetchException {
        String text = Bodies.text(body, contentType, "JSON");
        if (text.isBlank()) {
            throw new FetchException(FetchException.Code.BAD_BODY, "the body is empty, not JSON");
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            String why = e instanceof JsonParseException p ? p.getOriginalMessage() : e.getOriginalMessage();
            throw new FetchException(FetchException.Code.BAD_BODY, "the body is not valid JSON" + where + ": "
                    + why.lines().findFirst().orElse(why), e);
        }
    }
}
