// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.normalizer.Suggester;
import io.tmidb.normalizer.Suggestion;
import io.tmidb.normalizer.SuggestionException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Connectors added with {@code mapping => 'suggest'} or {@code 'auto'}: once a document of theirs
 * is stored, suggests a rule from the newest documents and keeps it in
 * {@code ingest_connector.suggestion} with a note. With {@code auto} the rule is also applied
 * (registered, and the stored documents remapped) when every required element is confident
 * ({@link Suggestion#AUTO_THRESHOLD}) and the source has no rule: a rule a person wrote is never
 * replaced. A connector is handled once; its note says what happened.
 */
final class ConnectorSuggestions {
    private static final Logger LOG = Logger.getLogger(ConnectorSuggestions.class.getName());

    /** Claims connectors waiting for their suggestion. */
    static final String CLAIM = "SELECT c.connector_id FROM tmi.ingest_connector c"
            + " WHERE c.mapping <> 'manual' AND c.suggestion IS NULL AND c.suggestion_note IS NULL"
            + " AND EXISTS (SELECT 1 FROM tmi.raw_bucket r WHERE r.source = c.name)"
            + " ORDER BY c.connector_id LIMIT ? FOR UPDATE OF c SKIP LOCKED";

    private ConnectorSuggestions() {
    }

    static void suggest(Connection c, long[] ids) throws SQLException {
        Suggester suggester = Suggester.withModel();
        for (long id : ids) {
            String name;
            boolean auto;
            try (PreparedStatement ps = c.prepareStatement("SELECT name, mapping FROM tmi.ingest_connector WHERE connector_id = ?")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    name = rs.getString(1);
                    auto = "auto".equals(rs.getString(2));
                }
            }
            Suggestion s = null;
            String note;
            try {
                s = suggester.suggest(newest(c, name), name);
                note = auto ? apply(c, name, s) : "suggested (" + s.verdict() + "); apply it with: tmictl mapping suggest " + name + " --apply";
            } catch (SuggestionException e) {
                note = "no suggestion: " + e.getMessage();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE tmi.ingest_connector SET suggestion = CAST(? AS jsonb),"
                    + " suggestion_note = ? WHERE connector_id = ?")) {
                ps.setString(1, s == null ? null : s.toJson());
                ps.setString(2, note);
                ps.setLong(3, id);
                ps.execute();
            }
            String shown = note;
            LOG.info(() -> "connector " + name + " (" + id + "): " + shown);
        }
    }

    /** Applies a confident suggestion to a source without a rule; says what was done. */
    private static String apply(Connection c, String source, Suggestion s) throws SQLException {
        // no tmi.add_mapping can slip in between the check and ours: a person's rule is never replaced
        try (PreparedStatement lock = c.prepareStatement("LOCK TABLE tmi.mapping_rule IN SHARE ROW EXCLUSIVE MODE");
             PreparedStatement has = c.prepareStatement("SELECT 1 FROM tmi.mapping_rule WHERE source = ?")) {
            lock.execute();
            has.setString(1, source);
            try (ResultSet rs = has.executeQuery()) {
                if (rs.next()) {
                    return "not applied: the source has a rule, which a suggestion never replaces";
                }
            }
        }
        if (!s.applicable()) {
            return "left as a suggestion: " + s.verdict();
        }
        try (PreparedStatement add = c.prepareStatement("SELECT tmi.add_mapping(?, CAST(? AS jsonb)), tmi.remap(?)")) {
            add.setString(1, source);
            add.setString(2, s.ruleJson());
            add.setString(3, source);
            add.execute();
        }
        return "applied: " + s.verdict();
    }

    private static List<String> newest(Connection c, String source) throws SQLException {
        List<String> docs = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT d::text FROM tmi.suggestion_documents(?) d")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    docs.add(rs.getString(1));
                }
            }
        }
        return docs;
    }
}
