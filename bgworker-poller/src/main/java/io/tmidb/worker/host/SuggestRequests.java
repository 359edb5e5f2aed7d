// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.normalizer.Suggester;
import io.tmidb.normalizer.Suggestion;
import io.tmidb.normalizer.SuggestionException;
import io.tmidb.stored.Ids;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Answers tmi.suggest_mapping on either host (the role model runs in the worker's JVM, never in
 * the server's), for the desk (PreviewDesk): suggests a rule for each request's documents (its
 * payload, newest first) and writes the suggestion, or the reason there is none (SQLSTATE 22023
 * for documents that cannot be read, 42704 when the items have no key), for the waiting caller.
 */
final class SuggestRequests {
    private static final Logger LOG = Logger.getLogger(SuggestRequests.class.getName());

    private SuggestRequests() {
    }

    static void answer(Connection c, long[] ids) throws SQLException {
        Suggester suggester = Suggester.withModel();
        try (PreparedStatement read = c.prepareStatement("SELECT request_id, source, d.doc::text FROM tmi.preview_request r"
                + " CROSS JOIN LATERAL jsonb_array_elements(r.payload) WITH ORDINALITY AS d (doc, ord)"
                + " WHERE request_id = ANY(CAST(? AS bigint[])) ORDER BY request_id, d.ord");
             PreparedStatement done = c.prepareStatement("UPDATE tmi.preview_request SET result = CAST(? AS jsonb) WHERE request_id = ?");
             PreparedStatement failed = c.prepareStatement("UPDATE tmi.preview_request SET sqlstate = ?, error = ?, hint = ?"
                     + " WHERE request_id = ?")) {
            read.setString(1, Ids.toArrayLiteral(ids));
            List<Long> order = new ArrayList<>();
            List<String> sources = new ArrayList<>();
            List<List<String>> documents = new ArrayList<>();
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    if (order.isEmpty() || order.get(order.size() - 1) != rs.getLong(1)) {
                        order.add(rs.getLong(1));
                        sources.add(rs.getString(2));
                        documents.add(new ArrayList<>());
                    }
                    documents.get(documents.size() - 1).add(rs.getString(3));
                }
            }
            for (int i = 0; i < order.size(); i++) {
                long id = order.get(i);
                try {
                    Suggestion s = suggester.suggest(documents.get(i), sources.get(i));
                    done.setString(1, s.toJson());
                    done.setLong(2, id);
                    done.execute();
                } catch (SuggestionException e) {
                    LOG.fine(() -> "suggestion " + id + ": " + e.getMessage());
                    failed.setString(1, e.code() == SuggestionException.Code.NO_KEY ? "42704"
                            : e.code() == SuggestionException.Code.MODEL ? "XX000" : "22023");
                    failed.setString(2, e.getMessage());
                    failed.setString(3, e.code() == SuggestionException.Code.MODEL ? "See tmidb-worker's log."
                            : "Write the rule by hand (docs/stored-logic.md), or suggest from other documents.");
                    failed.setLong(4, id);
                    failed.execute();
                }
            }
            // a request whose documents array was empty has no rows above
            try (PreparedStatement empty = c.prepareStatement("UPDATE tmi.preview_request SET sqlstate = '22023',"
                    + " error = 'no document to suggest from', hint = 'Pass a document, or let the source store one first.'"
                    + " WHERE request_id = ANY(CAST(? AS bigint[])) AND result IS NULL AND error IS NULL")) {
                empty.setString(1, Ids.toArrayLiteral(ids));
                empty.execute();
            }
        }
    }
}
