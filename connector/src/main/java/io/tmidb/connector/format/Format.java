// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.connector.FetchException;

/** Turns a fetched body into the JSON document stored in raw_bucket, or refuses it with the reason. */
public interface Format {
    /**
     * @param contentType the response's Content-Type (may be null); its charset decides the decoding
     * @param options     the connector's options
     * @throws FetchException with code BAD_BODY when the body is not valid for the format, or
     *                        BAD_OPTIONS when the options cannot be applied
     */
    JsonNode convert(byte[] body, String contentType, JsonNode options) throws FetchException;

    /** The converter for a connector format: json, csv, html or text. */
    static Format named(String name) throws FetchException {
        return switch (name) {
            case "json" -> new JsonFormat();
            case "csv" -> new CsvFormat();
            case "html" -> new HtmlFormat();
            case "text" -> new TextFormat();
            default -> throw new FetchException(FetchException.Code.BAD_OPTIONS, "unknown connector format " + name);
        };
    }
}
