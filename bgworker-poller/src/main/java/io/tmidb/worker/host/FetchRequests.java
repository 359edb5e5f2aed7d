// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.connector.ConnectorSpec;
import io.tmidb.connector.FetchException;
import io.tmidb.connector.Poller;
import io.tmidb.stored.Ids;
import io.tmidb.stored.mapping.Pipeline;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;

/**
 * Answers tmi.test_connector for the desk (PreviewDesk): fetches the connector once with the
 * scheduled runs' own code and limits and answers with the document raw_bucket would get and, when
 * the connector has a mapping rule, its preview. Nothing else is written: no document, no run
 * state. No conditional headers are sent, so the source answers with its current content; a failed
 * fetch is an answer too (its message and code), as a person testing a connector wants to see it.
 */
final class FetchRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FetchRequests() {
    }

    static void answer(Connection c, long[] ids, Poller poller) throws SQLException, InterruptedException {
        try (PreparedStatement read = c.prepareStatement("SELECT r.request_id, x.*, m.rule::text AS rule"
                + " FROM tmi.preview_request r"
                + " CROSS JOIN LATERAL (SELECT " + ConnectorSpec.COLUMNS + " FROM tmi.ingest_connector WHERE name = r.source) x"
                + " LEFT JOIN tmi.mapping_rule m ON m.source = r.source AND m.enabled"
                + " WHERE r.request_id = ANY(CAST(? AS bigint[]))");
             PreparedStatement done = c.prepareStatement("UPDATE tmi.preview_request SET result = CAST(? AS jsonb) WHERE request_id = ?")) {
            read.setString(1, Ids.toArrayLiteral(ids));
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    ConnectorSpec stored = ConnectorSpec.from(rs);
                    ConnectorSpec unconditional = new ConnectorSpec(stored.id(), stored.name(), stored.url(), stored.every(),
                            stored.format(), stored.options(), null, null);
                    done.setString(1, test(c, poller, unconditional, rs.getString("rule")).toString());
                    done.setLong(2, rs.getLong("request_id"));
                    done.execute();
                }
            }
        }
        // dropped between the request and its answer
        try (PreparedStatement gone = c.prepareStatement("UPDATE tmi.preview_request SET sqlstate = '42704',"
                + " error = format('connector \"%s\" does not exist', source), hint = 'See SELECT name FROM tmi.connectors.'"
                + " WHERE request_id = ANY(CAST(? AS bigint[])) AND result IS NULL AND error IS NULL")) {
            gone.setString(1, Ids.toArrayLiteral(ids));
            gone.execute();
        }
    }

    private static ObjectNode test(Connection c, Poller poller, ConnectorSpec spec, String rule)
            throws SQLException, InterruptedException {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("connector", spec.name());
        answer.put("url", spec.url());
        answer.put("format", spec.format());
        answer.put("has_rule", rule != null);
        Poller.Outcome outcome;
        try {
            outcome = poller.poll(spec);
        } catch (FetchException e) {
            answer.put("error", e.getMessage());
            answer.put("error_code", e.code().name());
            if (e.httpStatus() != null) {
                answer.put("http_status", e.httpStatus());
            }
            return answer;
        }
        answer.put("http_status", outcome.httpStatus());
        answer.put("content_type", outcome.contentType());
        answer.set("document", outcome.document()); // null for a 304, which only a server ignoring absent validators sends
        if (rule != null && outcome.document() != null) {
            Savepoint sp = c.setSavepoint(); // a rule that fails on this document must not end the desk's transaction
            try {
                answer.set("preview", JSON.readTree(Pipeline.preview(c, rule, JSON.writeValueAsString(outcome.document()))));
                c.releaseSavepoint(sp);
            } catch (SQLException e) {
                c.rollback(sp);
                answer.put("preview_error", e instanceof PSQLException pe && pe.getServerErrorMessage() != null
                        ? pe.getServerErrorMessage().getMessage() : e.getMessage());
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a preview is JSON", e);
            }
        }
        return answer;
    }
}
