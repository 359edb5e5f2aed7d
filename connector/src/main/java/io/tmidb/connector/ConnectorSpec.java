// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/**
 * One row of {@code tmi.ingest_connector} as a fetch needs it, secrets included (so never log
 * {@link #options()}).
 *
 * @param etag         validator of the last stored document, sent as If-None-Match
 * @param lastModified validator of the last stored document, sent as If-Modified-Since
 */
public record ConnectorSpec(long id, String name, String url, Duration every, String format, JsonNode options,
                            String etag, String lastModified) {
    /** The columns {@link #from(ResultSet)} reads, for a SELECT list on {@code tmi.ingest_connector}. */
    public static final String COLUMNS = "connector_id, name, url, extract(epoch FROM every)::float8 AS every_s, format,"
            + " options::text AS options, etag, last_modified";
    private static final ObjectMapper JSON = new ObjectMapper();

    public ConnectorSpec {
        options = options == null ? JsonNodeFactory.instance.objectNode() : options;
    }

    /** The connector on the current row of a result selecting {@link #COLUMNS}. */
    public static ConnectorSpec from(ResultSet rs) throws SQLException {
        try {
            return new ConnectorSpec(rs.getLong("connector_id"), rs.getString("name"), rs.getString("url"),
                    Duration.ofMillis(Math.round(rs.getDouble("every_s") * 1000)), rs.getString("format"),
                    JSON.readTree(rs.getString("options")), rs.getString("etag"), rs.getString("last_modified"));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SQLException("options of connector " + rs.getString("name") + " are not JSON", e);
        }
    }
}
