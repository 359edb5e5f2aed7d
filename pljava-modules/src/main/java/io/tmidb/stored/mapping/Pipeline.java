// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import io.tmidb.stored.Ids;
import io.tmidb.stored.json.JsonWriter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Maps raw documents into targets, observations and positions. Both hosts call
 * {@link #processRaw} with a batch of raw ids inside a transaction they commit; every pending row
 * of the batch ends mapped, failed (with the items and reasons; good items are written) or
 * unmapped (no rule). A document mapped again (remap) delivers its readings again: what it makes
 * anew is merged into the stored readings (see {@link BatchWriter}), so nothing is duplicated.
 */
public final class Pipeline {
    private static final Logger LOG = Logger.getLogger(Pipeline.class.getName());
    private static final int ERRORS_SHOWN = 5;
    /** unique_violation: a reading of the batch was stored by another writer after the batch's statement began. */
    private static final String STORED_MEANWHILE = "23505";

    /** How one raw row ended. */
    private record Outcome(long rawId, String status, String error, String counts) {
    }

    private Pipeline() {
    }

    public static void processRaw(Connection c, long[] rawIds) throws SQLException {
        if (rawIds.length == 0) {
            return;
        }
        Map<String, List<Long>> bySource = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT raw_id, source FROM tmi.raw_bucket"
                + " WHERE raw_id = ANY(CAST(? AS bigint[])) AND status = 'pending' ORDER BY raw_id")) {
            ps.setString(1, Ids.toArrayLiteral(rawIds));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    bySource.computeIfAbsent(rs.getString(2), s -> new ArrayList<>()).add(rs.getLong(1));
                }
            }
        }
        Map<String, MappingRule> rules = MappingRule.forSources(c, new ArrayList<>(bySource.keySet()));
        List<Outcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, List<Long>> group : bySource.entrySet()) {
            MappingRule rule = rules.get(group.getKey());
            if (rule == null) {
                for (long id : group.getValue()) {
                    outcomes.add(new Outcome(id, "unmapped", "no mapping rule for source \"" + group.getKey() + "\"", null));
                }
                continue;
            }
            outcomes.addAll(inServer(c) ? map(c, rule, group.getValue()) : mapIsolated(c, rule, group.getValue()));
        }
        record(c, outcomes);
    }

    /**
     * Inside the server (PL/Java) the writer's own statement runs the mapping: if the database
     * refuses the mapped rows, the writer's statement fails with the reason and nothing is kept.
     * (PL/Java's savepoints do not mix with the nested Java calls the triggers make.)
     */
    private static boolean inServer(Connection c) throws SQLException {
        return "jdbc:default:connection".equals(c.getMetaData().getURL());
    }

    /**
     * Maps the group in one go; if the database refuses it, maps each document alone to find the
     * culprit. A reading that another writer stored after the statement began is refused by the key
     * (unique_violation): the group is mapped once more, and then merges with it.
     */
    private static List<Outcome> mapIsolated(Connection c, MappingRule rule, List<Long> ids) throws SQLException {
        try {
            return mapInSavepoint(c, rule, ids);
        } catch (SQLException first) {
            if (!STORED_MEANWHILE.equals(first.getSQLState())) {
                return mapEachAlone(c, rule, ids, first);
            }
            LOG.fine(() -> "raw " + ids + ": a reading was stored meanwhile, mapping again");
            try {
                return mapInSavepoint(c, rule, ids);
            } catch (SQLException again) {
                return mapEachAlone(c, rule, ids, again);
            }
        }
    }

    private static List<Outcome> mapInSavepoint(Connection c, MappingRule rule, List<Long> ids) throws SQLException {
        Savepoint all = c.setSavepoint();
        try {
            List<Outcome> outcomes = map(c, rule, ids);
            c.releaseSavepoint(all);
            return outcomes;
        } catch (SQLException e) {
            c.rollback(all);
            throw e;
        }
    }

    private static List<Outcome> mapEachAlone(Connection c, MappingRule rule, List<Long> ids, SQLException batchError)
            throws SQLException {
        if (ids.size() == 1) {
            LOG.warning(() -> "raw " + ids.get(0) + " failed: " + batchError.getMessage());
            return List.of(new Outcome(ids.get(0), "failed", "the database refused the mapped rows: "
                    + batchError.getMessage(), null));
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (long id : ids) {
            outcomes.addAll(mapIsolated(c, rule, List.of(id)));
        }
        return outcomes;
    }

    private static List<Outcome> map(Connection c, MappingRule rule, List<Long> ids) throws SQLException {
        Extractor extractor = new Extractor(rule);
        DocumentMapper mapper = new DocumentMapper(rule, extractor);
        Map<Long, List<Extractor.RawItem>> documents = new LinkedHashMap<>();
        ids.forEach(id -> documents.put(id, new ArrayList<>()));
        for (Extractor.RawItem item : extractor.fromRawBucket(c, Ids.toArrayLiteral(ids.stream().mapToLong(Long::longValue).toArray()))) {
            documents.get(item.rawId()).add(item);
        }
        // documents are judged whole: swapped coordinates and paths that matched nothing show only across items
        Map<Long, Tally> tallies = new LinkedHashMap<>();
        List<MappedItem> good = new ArrayList<>();
        documents.forEach((id, items) -> {
            DocumentMapper.Result r = mapper.map(items);
            tallies.put(id, new Tally(r.items(), r.errors(), r.warnings()));
            good.addAll(r.good());
        });
        BatchWriter.Outcomes written = BatchWriter.write(c, rule.kind(), good);
        List<Outcome> outcomes = new ArrayList<>();
        tallies.forEach((id, t) -> outcomes.add(t.outcome(id, rule, written)));
        return outcomes;
    }

    /**
     * Counts and errors of one raw row. {@code observations} and {@code positions} count the rows
     * stored anew; readings that were stored before appear, when there are any, as
     * {@code *_corrected} (values changed), {@code *_unchanged} (nothing to do) and
     * {@code *_repeated} (the same target and time earlier in the batch). {@code warnings}, when
     * there are any, names rule paths that matched nothing in any item; they do not fail the row.
     */
    private record Tally(int items, List<String> errors, List<String> warnings) {
        private static final List<String> REDELIVERED = List.of("corrected", "unchanged", "repeated");

        Outcome outcome(long rawId, MappingRule rule, BatchWriter.Outcomes written) {
            JsonWriter doc = new JsonWriter().beginObject().name("items").value(items)
                    .name("failed_items").value(errors.size())
                    .name("observations").value(written.of(rawId, "observations_new"))
                    .name("positions").value(written.of(rawId, "positions_new"));
            for (String reading : List.of("observations", "positions")) {
                for (String outcome : REDELIVERED) {
                    long n = written.of(rawId, reading + "_" + outcome);
                    if (n > 0) {
                        doc.name(reading + "_" + outcome).value(n);
                    }
                }
            }
            if (!warnings.isEmpty()) {
                doc.name("warnings").beginArray();
                warnings.forEach(doc::value);
                doc.endArray();
            }
            String counts = doc.endObject().toString();
            if (items == 0) {
                return new Outcome(rawId, "failed", "iterate path " + rule.iterate() + " found no items", counts);
            }
            if (errors.isEmpty()) {
                return new Outcome(rawId, "mapped", null, counts);
            }
            String shown = String.join("; ", errors.subList(0, Math.min(ERRORS_SHOWN, errors.size())));
            return new Outcome(rawId, "failed", errors.size() + " of " + items + " items failed: " + shown
                    + (errors.size() > ERRORS_SHOWN ? "; and " + (errors.size() - ERRORS_SHOWN) + " more" : ""), counts);
        }
    }

    private static void record(Connection c, List<Outcome> outcomes) throws SQLException {
        if (outcomes.isEmpty()) {
            return;
        }
        JsonWriter doc = new JsonWriter().beginArray();
        for (Outcome o : outcomes) {
            doc.beginObject().name("id").value(o.rawId()).name("s").value(o.status()).name("e").value(o.error())
                    .name("c").raw(o.counts() == null ? "null" : o.counts()).endObject();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE tmi.raw_bucket r SET status = x.s, error = x.e, counts = x.c,"
                + " processed_at = now() FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (id bigint, s text, e text, c jsonb)"
                + " WHERE r.raw_id = x.id")) {
            ps.setString(1, doc.endArray().toString());
            ps.execute();
        }
    }

    /**
     * What {@code payloadJson} would become under {@code ruleJson}, writing nothing: the kind,
     * targets with their attributes, observations, positions and item errors, as JSON.
     */
    public static String preview(Connection c, String ruleJson, String payloadJson) throws SQLException {
        MappingRule rule = MappingRule.parse(c, 0, ruleJson);
        Extractor extractor = new Extractor(rule);
        List<Extractor.RawItem> items = extractor.fromDocument(c, payloadJson);
        DocumentMapper.Result result = new DocumentMapper(rule, extractor).map(items);
        JsonWriter targets = new JsonWriter().beginArray();
        JsonWriter observations = new JsonWriter().beginArray();
        JsonWriter positions = new JsonWriter().beginArray();
        JsonWriter errors = new JsonWriter().beginArray();
        for (MappedItem m : result.good()) {
            targets.beginObject().name("ext_key").value(m.key()).name("name").value(m.name()).name("attributes");
            BatchWriter.object(targets, m.attributes());
            targets.endObject();
            if (!m.observation().isEmpty()) {
                observations.beginObject().name("ext_key").value(m.key()).name("ts").value(m.ts()).name("payload");
                BatchWriter.object(observations, m.observation());
                observations.endObject();
            }
            if (m.lat() != null) {
                positions.beginObject().name("ext_key").value(m.key()).name("ts").value(m.ts())
                        .name("lat").value(m.lat()).name("lon").value(m.lon()).endObject();
            }
        }
        result.errors().forEach(errors::value);
        JsonWriter warnings = new JsonWriter().beginArray();
        result.warnings().forEach(warnings::value);
        return new JsonWriter().beginObject().name("kind").value(rule.kind()).name("items").value(items.size())
                .name("targets").raw(targets.endArray().toString())
                .name("observations").raw(observations.endArray().toString())
                .name("positions").raw(positions.endArray().toString())
                .name("errors").raw(errors.endArray().toString())
                .name("warnings").raw(warnings.endArray().toString()).endObject().toString();
    }
}
