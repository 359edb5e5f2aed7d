// SPDX-License-Identifier: MIT
package io.tmidb.connector.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.connector.FetchException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code csv}: the header row names the fields; every further row becomes an object of strings.
 * A row with another number of fields than the header is refused: it means the body is not the
 * table it claims to be, and guessing which column is which would store wrong data.
 */
final class CsvFormat implements Format {
    @Override
    public JsonNode convert(byte[] body, String contentType, JsonNode options) throws FetchException {
        String text = Bodies.text(body, contentType, "CSV");
        String delimiter = options.path("delimiter").asText(",");
        CSVFormat format = CSVFormat.RFC4180.builder().setDelimiter(delimiter).setHeader().setSkipHeaderRecord(true)
                .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW).setAllowMissingColumnNames(false)
                .setIgnoreEmptyLines(true).get();
        ArrayNode rows = JsonNodeFactory.instance.arrayNode();
        try (CSVParser parser = CSVParser.builder().setReader(new StringReader(text)).setFormat(format).get()) {
            List<String> header = parser.getHeaderNames();
            if (header.isEmpty()) {
                throw new FetchException(FetchException.Code.BAD_BODY, "the CSV body has no header row");
            }
            for (CSVRecord r : parser) {
                if (r.size() != header.size()) {
                    throw new FetchException(FetchException.Code.BAD_BODY, "CSV line " + r.getParser().getCurrentLineNumber()
                            + " has " + r.size() + " fields; the header has " + header.size());
                }
                ObjectNode row = rows.addObject();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), r.get(i));
                }
            }
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException | IOException e) {
            throw new FetchException(FetchException.Code.BAD_BODY, "the body is not valid CSV: " + e.getMessage(), e);
        }
        return rows;
    }
}
