// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A mapping rule as the stored logic uses it. Rules are validated by tmi.check_mapping_rule()
 * when registered; here they are read apart by SQL (jsonb operators), so the Java needs no JSON
 * parser. A rule with {@code "position": {"geojson": G}} has lat and lon paths into G's coordinates
 * and {@code geometryTypePath} to check that G is a Point; otherwise that path is null.
 */
record MappingRule(long ruleId, String kind, String iterate, String keyPath, String namePath, String tsPath,
                   TimeFormat tsFormat, String latPath, String lonPath, String geometryTypePath, List<FieldSpec> fields) {

    private static final String PARTS = """
            SELECT r.rule->>'kind', coalesce(r.rule->>'iterate', '$'), r.rule->>'key', r.rule->>'name',
                   r.rule->'timestamp'->>'path', r.rule->'timestamp'->>'format', r.rule->>'lat', r.rule->>'lon',
                   f.key, f.value->>'path', f.value->>'type', coalesce(f.value->>'as', 'observation'),
                   (f.value->>'scale'), (f.value->>'offset'), f.value->>'format',
                   coalesce((f.value->>'required')::boolean, false),
                   r.rule->'timestamp'->>'pattern', r.rule->'timestamp'->>'timezone', r.rule->'position'->>'geojson',
                   f.value->>'pattern', f.value->>'timezone', f.value->>'unit',
                   coalesce((f.value->>'trim')::boolean, false)
              FROM (SELECT CAST(? AS jsonb) AS rule) r
              LEFT JOIN LATERAL jsonb_each(coalesce(r.rule->'fields', '{}')) f ON true
             ORDER BY f.key""";

    /** The enabled rule of each source that has one. */
    static Map<String, MappingRule> forSources(Connection c, List<String> sources) throws SQLException {
        Map<String, MappingRule> rules = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT source, rule_id, rule::text FROM tmi.mapping_rule WHERE enabled AND source = ANY(CAST(? AS text[]))")) {
            ps.setString(1, textArray(sources));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rules.put(rs.getString(1), parse(c, rs.getLong(2), rs.getString(3)));
                }
            }
        }
        return rules;
    }

    /** A rule from its JSON text; it must have passed tmi.check_mapping_rule(). */
    static MappingRule parse(Connection c, long ruleId, String ruleJson) throws SQLException {
        try (PreparedStatement check = c.prepareStatement("SELECT tmi.check_mapping_rule(CAST(? AS jsonb))")) {
            check.setString(1, ruleJson);
            check.execute();
        }
        List<FieldSpec> fields = new ArrayList<>();
        String[] head = null;
        TimeFormat tsFormat = null;
        try (PreparedStatement ps = c.prepareStatement(PARTS)) {
            ps.setString(1, ruleJson);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (head == null) {
                        String geometry = rs.getString(19);
                        // a GeoJSON Point is [lon, lat, alt?]: the rule names the geometry, not the order
                        head = new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5),
                                geometry == null ? rs.getString(7) : "(" + geometry + ").coordinates[1]",
                                geometry == null ? rs.getString(8) : "(" + geometry + ").coordinates[0]",
                                geometry == null ? null : "(" + geometry + ").type"};
                        tsFormat = TimeFormat.of(rs.getString(6), rs.getString(17), rs.getString(18));
                    }
                    if (rs.getString(9) != null) {
                        fields.add(new FieldSpec(rs.getString(9), rs.getString(10), FieldType.of(rs.getString(11)),
                                "attribute".equals(rs.getString(12)), decimal(rs.getString(13)), decimal(rs.getString(14)),
                                TimeFormat.of(rs.getString(15), rs.getString(20), rs.getString(21)), rs.getBoolean(16),
                                rs.getString(22), rs.getBoolean(23)));
                    }
                }
            }
        }
        return new MappingRule(ruleId, head[0], head[1], head[2], head[3], head[4], tsFormat,
                head[5], head[6], head[7], List.copyOf(fields));
    }

    static String textArray(List<String> values) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            sb.append(i == 0 ? "" : ",").append('"')
                    .append(values.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return sb.append('}').toString();
    }

    private static BigDecimal decimal(String s) {
        return s == null ? null : new BigDecimal(s);
    }
}
