// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import static io.tmidb.stored.SqlText.literal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a rule's items and their values with PostgreSQL's SQL/JSON path engine, one query per
 * batch of documents: the paths are the rule's, the engine is the database's, so a path means
 * the same in tmi.check_mapping_rule, here and in psql.
 */
final class Extractor {
    /** One item of one document with the values at the rule's paths, in {@link #paths} order. */
    record RawItem(long rawId, int ord, String fetchedAt, List<JsonValue> values) {
    }

    private final MappingRule rule;
    private final List<String> paths = new ArrayList<>();
    private final int name;
    private final int ts;
    private final int lat;
    private final int lon;
    private final int geometryType;
    private final int firstField;

    Extractor(MappingRule rule) {
        this.rule = rule;
        paths.add(rule.keyPath());
        name = optional(rule.namePath());
        ts = optional(rule.tsPath());
        lat = optional(rule.latPath());
        lon = optional(rule.lonPath());
        geometryType = optional(rule.geometryTypePath());
        firstField = paths.size();
        rule.fields().forEach(f -> paths.add(f.path()));
    }

    /** The items of the stored documents with these ids (an array literal), in document and item order. */
    List<RawItem> fromRawBucket(Connection c, String rawIds) throws SQLException {
        return run(c, "tmi.raw_bucket r", "r.raw_id = ANY(CAST(? AS bigint[]))", rawIds);
    }

    /** The items of one document that is not stored (raw id 0, fetched now). */
    List<RawItem> fromDocument(Connection c, String json) throws SQLException {
        return run(c, "(SELECT 0::bigint AS raw_id, now() AS ts, CAST(? AS jsonb) AS payload) r", "true", json);
    }

    JsonValue key(RawItem item) {
        return item.values().get(0);
    }

    JsonValue name(RawItem item) {
        return at(item, name);
    }

    JsonValue ts(RawItem item) {
        return at(item, ts);
    }

    JsonValue lat(RawItem item) {
        return at(item, lat);
    }

    JsonValue lon(RawItem item) {
        return at(item, lon);
    }

    /** The type of the GeoJSON geometry the position is read from (missing when the rule gives lat/lon paths). */
    JsonValue geometryType(RawItem item) {
        return at(item, geometryType);
    }

    JsonValue field(RawItem item, int fieldIndex) {
        return item.values().get(firstField + fieldIndex);
    }

    private int optional(String path) {
        if (path == null) {
            return -1;
        }
        paths.add(path);
        return paths.size() - 1;
    }

    private static JsonValue at(RawItem item, int index) {
        return index < 0 ? JsonValue.MISSING : item.values().get(index);
    }

    private List<RawItem> run(Connection c, String relation, String where, String param) throws SQLException {
        StringBuilder values = new StringBuilder();
        StringBuilder select = new StringBuilder();
        for (int i = 0; i < paths.size(); i++) {
            values.append(i == 0 ? "" : ", ").append("jsonb_path_query_first(i.item, ").append(literal(paths.get(i)))
                    .append("::jsonpath) AS v").append(i);
            select.append(", jsonb_typeof(v.v").append(i).append("), v.v").append(i).append(" #>> '{}'");
        }
        String sql = "SELECT r.raw_id, i.ord, to_json(r.ts) #>> '{}'" + select
                + " FROM " + relation
                + " CROSS JOIN LATERAL jsonb_path_query(r.payload, " + literal(rule.iterate()) + "::jsonpath)"
                + " WITH ORDINALITY AS i (item, ord)"
                + " CROSS JOIN LATERAL (SELECT " + values + ") v"
                + " WHERE " + where
                + " ORDER BY r.raw_id, i.ord";
        List<RawItem> items = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<JsonValue> vals = new ArrayList<>(paths.size());
                    for (int i = 0; i < paths.size(); i++) {
                        vals.add(new JsonValue(rs.getString(4 + 2 * i), rs.getString(5 + 2 * i)));
                    }
                    items.add(new RawItem(rs.getLong(1), rs.getInt(2), rs.getString(3), vals));
                }
            }
        }
        return items;
    }
}
