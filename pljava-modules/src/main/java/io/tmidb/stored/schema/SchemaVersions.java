// SPDX-License-Identifier: MIT
package io.tmidb.stored.schema;

import io.tmidb.stored.Ids;
import io.tmidb.stored.json.JsonWriter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;

/**
 * Turns attribute/type pairs queued in tmi.schema_pending into schema versions: per kind, a new
 * attribute is an additive change and a new type for a known attribute (which becomes
 * {@code mixed}) a breaking one; either adds a tmi.model_versions row and the api_vN views. A type
 * set by tmi.retype (which checked the stored values) replaces the attribute's type, also a
 * breaking change. Kinds are locked one at a time, so concurrent writers that introduce the same
 * attribute produce one version.
 */
public final class SchemaVersions {
    private static final Logger LOG = Logger.getLogger(SchemaVersions.class.getName());

    private SchemaVersions() {
    }

    public static void apply(Connection c, long[] pendingIds) throws SQLException {
        // one version per writing statement (batch) and kind, in the order the statements ran
        Map<String, List<Attribute>> seen = new LinkedHashMap<>();
        Set<Attribute> retyped = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement("WITH p AS (DELETE FROM tmi.schema_pending"
                + " WHERE pending_id = ANY(CAST(? AS bigint[])) RETURNING batch, kind, scope, attr, jtype, retype)"
                + " SELECT batch, kind, scope, attr, jtype, retype FROM p ORDER BY batch, kind, scope, attr")) {
            ps.setString(1, Ids.toArrayLiteral(pendingIds));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Attribute a = new Attribute(rs.getString(3), rs.getString(4), rs.getString(5));
                    seen.computeIfAbsent(rs.getLong(1) + "/" + rs.getString(2), k -> new ArrayList<>()).add(a);
                    if (rs.getBoolean(6)) {
                        retyped.add(a);
                    }
                }
            }
        }
        for (Map.Entry<String, List<Attribute>> e : seen.entrySet()) {
            applyKind(c, e.getKey().substring(e.getKey().indexOf('/') + 1), e.getValue(), retyped);
        }
    }

    private static void applyKind(Connection c, String kind, List<Attribute> seen, Set<Attribute> retyped)
            throws SQLException {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext('tmi.schema:' || ?))")) {
            lock.setString(1, kind);
            lock.execute();
        }
        Map<String, Attribute> current = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT scope, attr, jtype FROM tmi.kind_attr WHERE kind = ?")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Attribute a = new Attribute(rs.getString(1), rs.getString(2), rs.getString(3));
                    current.put(a.key(), a);
                }
            }
        }
        boolean first = current.isEmpty();
        Map<String, Attribute> next = new LinkedHashMap<>(current);
        List<Attribute> added = new ArrayList<>();
        List<Attribute[]> changed = new ArrayList<>();
        for (Attribute s : seen) {
            Attribute now = next.get(s.key());
            if (now == null) {
                next.put(s.key(), s);
                added.add(s);
            } else if (retyped.contains(s) && !now.type().equals(s.type())) {
                next.put(s.key(), s);
                changed.add(new Attribute[] {now, s});
            } else if (!now.type().equals(s.type()) && !now.type().equals(Attribute.MIXED)) {
                Attribute mixed = new Attribute(s.scope(), s.name(), Attribute.MIXED);
                next.put(s.key(), mixed);
                changed.add(new Attribute[] {now, mixed});
            }
        }
        if (added.isEmpty() && changed.isEmpty()) {
            return; // another writer's version already has them
        }
        int version;
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(version), 0) + 1 FROM tmi.model_versions WHERE kind = ?")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                version = rs.getInt(1);
            }
        }
        String change = first ? "initial" : changed.isEmpty() ? "additive" : "breaking";
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO tmi.model_versions (kind, version, attrs, diff, change)"
                + " VALUES (?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?)")) {
            ps.setString(1, kind);
            ps.setInt(2, version);
            ps.setString(3, attrsJson(next.values()));
            ps.setString(4, diffJson(added, changed));
            ps.setString(5, change);
            ps.execute();
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO tmi.kind_attr (kind, scope, attr, jtype)"
                + " SELECT ?, x.scope, x.attr, x.jtype FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (scope text, attr text, jtype text)"
                + " ON CONFLICT (kind, scope, attr) DO UPDATE SET jtype = EXCLUDED.jtype")) {
            JsonWriter rows = new JsonWriter().beginArray();
            for (Attribute a : next.values()) {
                rows.beginObject().name("scope").value(a.scope()).name("attr").value(a.name()).name("jtype").value(a.type()).endObject();
            }
            ps.setString(1, kind);
            ps.setString(2, rows.endArray().toString());
            ps.execute();
        }
        ApiViews.create(c, kind, version, next.values());
        LOG.info(() -> "kind " + kind + ": schema version " + version + " (" + change + ")");
    }

    private static String attrsJson(Iterable<Attribute> attrs) {
        Map<String, Map<String, String>> byScope = new TreeMap<>();
        for (Attribute a : attrs) {
            byScope.computeIfAbsent(a.scope(), s -> new TreeMap<>()).put(a.name(), a.type());
        }
        JsonWriter w = new JsonWriter().beginObject();
        for (String scope : List.of("attribute", "observation")) {
            w.name(scope).beginObject();
            byScope.getOrDefault(scope, Map.of()).forEach((name, type) -> w.name(name).value(type));
            w.endObject();
        }
        return w.endObject().toString();
    }

    private static String diffJson(List<Attribute> added, List<Attribute[]> changed) {
        JsonWriter w = new JsonWriter().beginObject().name("added").beginArray();
        for (Attribute a : added) {
            w.beginObject().name("scope").value(a.scope()).name("name").value(a.name()).name("type").value(a.type()).endObject();
        }
        w.endArray().name("changed").beginArray();
        for (Attribute[] ch : changed) {
            w.beginObject().name("scope").value(ch[0].scope()).name("name").value(ch[0].name())
                    .name("from").value(ch[0].type()).name("to").value(ch[1].type()).endObject();
        }
        return w.endArray().endObject().toString();
    }
}
