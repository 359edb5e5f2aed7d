// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import io.tmidb.stored.json.JsonWriter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes mapped items of one kind in a single statement: targets upserted (attributes merged, the
 * name changed only by a rule that maps one; targets that would not change are neither written nor
 * locked, so concurrent batches about the same targets do not wait for each other), observations
 * and positions inserted with their raw id and item number. A reading already stored for the same
 * target and time is not stored again (the tables' triggers merge it: tmi.obs_once,
 * tmi.position_once); the statement tells, per raw document, how each reading fared against what
 * was stored when it began: new, corrected, unchanged, or repeated within the batch (for positions,
 * the document's last one at an instant is kept). The triggers on those tables then write events,
 * queue schema changes and alarm evaluation, once per statement.
 */
final class BatchWriter {
    /** How the readings of one raw document fared, by outcome ({@code observations_new}, ...). */
    record Outcomes(Map<Long, Map<String, Long>> byRaw) {
        long of(long rawId, String outcome) {
            return byRaw.getOrDefault(rawId, Map.of()).getOrDefault(outcome, 0L);
        }
    }

    // no SQL comments in statements: PL/Java's parameter parser does not know them
    private static final String WRITE = """
            WITH targets AS (
                SELECT * FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (k text, n text, a jsonb)
            ), items AS (
                SELECT * FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (k text, ts timestamptz, o jsonb,
                                                                        lat float8, lon float8, r bigint, i int)
            ), up AS (
                INSERT INTO tmi.target AS t (kind, ext_key, name, meta)
                SELECT CAST(? AS text), x.k, coalesce(x.n, x.k), x.a FROM targets x
                 WHERE NOT EXISTS (SELECT 1 FROM tmi.target e WHERE e.kind = CAST(? AS text) AND e.ext_key = x.k
                                      AND (x.n IS NULL OR e.name = x.n) AND e.meta @> x.a)
                ON CONFLICT (kind, ext_key) DO UPDATE
                   SET name = coalesce((SELECT x.n FROM targets x WHERE x.k = EXCLUDED.ext_key), t.name),
                       meta = t.meta || EXCLUDED.meta, updated_at = now()
                 WHERE t.name IS DISTINCT FROM coalesce((SELECT x.n FROM targets x WHERE x.k = EXCLUDED.ext_key), t.name)
                    OR NOT t.meta @> EXCLUDED.meta
                RETURNING t.target_id, t.ext_key
            ), ids AS (
                SELECT target_id, ext_key FROM up
                UNION ALL
                SELECT t.target_id, t.ext_key FROM tmi.target t JOIN targets x ON t.ext_key = x.k
                 WHERE t.kind = CAST(? AS text) AND NOT EXISTS (SELECT 1 FROM up WHERE up.ext_key = t.ext_key)
            ), obs_in AS (
                SELECT ids.target_id, i.ts, i.o, i.r, i.i,
                       row_number() OVER (PARTITION BY ids.target_id, i.ts ORDER BY i.r, i.i) AS nth
                  FROM items i JOIN ids ON ids.ext_key = i.k
                 WHERE i.o IS NOT NULL
            ), obs AS (
                INSERT INTO tmi.ts_obs (target_id, ts, payload, raw_id, raw_item)
                SELECT target_id, ts, o, r, i FROM obs_in ORDER BY target_id, ts, r, i
            ), pos_in AS (
                SELECT ids.target_id, i.ts, i.lat, i.lon, i.r,
                       row_number() OVER (PARTITION BY ids.target_id, i.ts ORDER BY i.r DESC, i.i DESC) AS nth
                  FROM items i JOIN ids ON ids.ext_key = i.k
                 WHERE i.lat IS NOT NULL
            ), geo AS (
                INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
                SELECT target_id, ts, lat, lon FROM pos_in WHERE nth = 1
            ), outcomes AS (
                SELECT n.r, 'observations_' || CASE WHEN n.nth > 1 THEN 'repeated' WHEN s.target_id IS NULL THEN 'new'
                         WHEN tmi.merge_reading(s.payload, s.raw_id, n.o, n.r) = s.payload THEN 'unchanged'
                         ELSE 'corrected' END AS outcome
                  FROM obs_in n LEFT JOIN tmi.ts_obs s ON s.target_id = n.target_id AND s.ts = n.ts
                UNION ALL
                SELECT p.r, 'positions_' || CASE WHEN p.nth > 1 THEN 'repeated' WHEN g.target_id IS NULL THEN 'new'
                         WHEN (g.lat, g.lon) IS NOT DISTINCT FROM (p.lat, p.lon) THEN 'unchanged'
                         ELSE 'corrected' END
                  FROM pos_in p LEFT JOIN tmi.geo_trace g ON g.target_id = p.target_id AND g.ts = p.ts
            )
            SELECT r, outcome, count(*) FROM outcomes GROUP BY r, outcome""";

    private BatchWriter() {
    }

    /** Writes the items (all of kind {@code kind}); returns how their readings fared. */
    static Outcomes write(Connection c, String kind, List<MappedItem> items) throws SQLException {
        if (items.isEmpty()) {
            return new Outcomes(Map.of());
        }
        // one target row per key: the latest name given, attributes merged in item order
        Map<String, String> names = new HashMap<>();
        Map<String, Map<String, String>> attributes = new LinkedHashMap<>();
        for (MappedItem item : items) {
            if (item.name() != null) {
                names.put(item.key(), item.name());
            }
            attributes.computeIfAbsent(item.key(), k -> new LinkedHashMap<>()).putAll(item.attributes());
        }
        JsonWriter targets = new JsonWriter().beginArray();
        attributes.forEach((key, attrs) -> {
            targets.beginObject().name("k").value(key).name("n").value(names.get(key)).name("a");
            object(targets, attrs);
            targets.endObject();
        });
        JsonWriter rows = new JsonWriter().beginArray();
        for (MappedItem item : items) {
            rows.beginObject().name("k").value(item.key()).name("ts").value(item.ts())
                    .name("lat").value(item.lat()).name("lon").value(item.lon())
                    .name("r").value(item.rawId()).name("i").value(item.ord()).name("o");
            if (item.observation().isEmpty()) {
                rows.raw("null");
            } else {
                object(rows, item.observation());
            }
            rows.endObject();
        }
        try (PreparedStatement ps = c.prepareStatement(WRITE)) {
            ps.setString(1, targets.endArray().toString());
            ps.setString(2, rows.endArray().toString());
            ps.setString(3, kind);
            ps.setString(4, kind);
            ps.setString(5, kind);
            Map<Long, Map<String, Long>> byRaw = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    byRaw.computeIfAbsent(rs.getLong(1), r -> new HashMap<>()).put(rs.getString(2), rs.getLong(3));
                }
            }
            return new Outcomes(byRaw);
        }
    }

    /** A JSON object of already-encoded values. */
    static void object(JsonWriter w, Map<String, String> values) {
        w.beginObject();
        values.forEach((k, json) -> w.name(k).raw(json));
        w.endObject();
    }
}
