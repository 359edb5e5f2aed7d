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
 * name changed only by a rule that maps one; targets that would not change, as the statement's
 * snapshot shows them, are neither written nor locked, so concurrent batches about the same targets
 * do not wait for each other; a target another writer created after the snapshot is met as a
 * conflict, and its row is taken unchanged — skipping it would leave the batch's readings of it
 * with no target to go to, and they would be dropped without an error), observations
 * and positions inserted with their raw id and item number. A reading is stored once per target and
 * time, by the rule of tmi.obs_once and tmi.position_once applied to the whole batch at once: the
 * readings of the batch at one instant are merged first (in document and item order; for positions
 * the document's last one at an instant is kept), then inserted when nothing is stored for that
 * target and time, or merged into the stored row (one UPDATE) when that changes it. The per-row
 * triggers are skipped for this statement only (tmi.readings_merged); the key still refuses a row
 * stored meanwhile by another writer, and the caller then maps the document again. The statement
 * tells, per raw document, how each reading fared against what was stored when it began: new,
 * corrected, unchanged, or repeated within the batch. The triggers on those tables then write
 * events, queue schema changes and alarm evaluation, once per statement.
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
                       meta = t.meta || EXCLUDED.meta,
                       updated_at = CASE WHEN t.name IS DISTINCT FROM coalesce((SELECT x.n FROM targets x WHERE x.k = EXCLUDED.ext_key), t.name)
                                           OR NOT t.meta @> EXCLUDED.meta THEN now() ELSE t.updated_at END
                RETURNING t.target_id, t.ext_key
            ), ids AS (
                SELECT target_id, ext_key FROM up
                UNION ALL
                SELECT t.target_id, t.ext_key FROM tmi.target t JOIN targets x ON t.ext_key = x.k
                 WHERE t.kind = CAST(? AS text) AND NOT EXISTS (SELECT 1 FROM up WHERE up.ext_key = t.ext_key)
            ), obs_in AS (
                SELECT ids.target_id, i.ts, i.o, i.r, i.i,
                       row_number() OVER (PARTITION BY ids.target_id, i.ts ORDER BY i.r, i.i) AS nth,
                       count(*) OVER (PARTITION BY ids.target_id, i.ts) AS copies,
                       s.target_id IS NOT NULL AS stored, s.payload AS s_payload, s.raw_id AS s_raw
                  FROM items i JOIN ids ON ids.ext_key = i.k
                  LEFT JOIN tmi.ts_obs s ON s.target_id = ids.target_id AND s.ts = i.ts
                 WHERE i.o IS NOT NULL
            ), obs_one AS (
                SELECT target_id, ts, o, r, i, stored FROM obs_in WHERE copies = 1
                UNION ALL
                SELECT n.target_id, n.ts, jsonb_object_agg(e.key, e.value ORDER BY n.r, n.i),
                       max(n.r), max(n.i) FILTER (WHERE n.nth = n.copies), bool_or(n.stored)
                  FROM obs_in n CROSS JOIN LATERAL jsonb_each(n.o) e
                 WHERE n.copies > 1
                 GROUP BY n.target_id, n.ts
            ), obs_new AS (
                INSERT INTO tmi.ts_obs (target_id, ts, payload, raw_id, raw_item)
                SELECT target_id, ts, o, r, i FROM obs_one WHERE NOT stored ORDER BY target_id, ts
            ), obs_fixed AS (
                UPDATE tmi.ts_obs s
                   SET payload = tmi.merge_reading(s.payload, s.raw_id, n.o, n.r),
                       raw_id = CASE WHEN n.r < s.raw_id THEN s.raw_id ELSE n.r END,
                       raw_item = CASE WHEN n.r < s.raw_id THEN s.raw_item ELSE n.i END
                  FROM obs_one n
                 WHERE n.stored AND s.target_id = n.target_id AND s.ts = n.ts
                   AND tmi.merge_reading(s.payload, s.raw_id, n.o, n.r) <> s.payload
            ), pos_in AS (
                SELECT ids.target_id, i.ts, i.lat, i.lon, i.r,
                       row_number() OVER (PARTITION BY ids.target_id, i.ts ORDER BY i.r DESC, i.i DESC) AS nth,
                       g.target_id IS NOT NULL AS stored, g.lat AS s_lat, g.lon AS s_lon
                  FROM items i JOIN ids ON ids.ext_key = i.k
                  LEFT JOIN tmi.geo_trace g ON g.target_id = ids.target_id AND g.ts = i.ts
                 WHERE i.lat IS NOT NULL
            ), pos_new AS (
                INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
                SELECT target_id, ts, lat, lon FROM pos_in WHERE nth = 1 AND NOT stored
            ), pos_fixed AS (
                UPDATE tmi.geo_trace g SET lat = p.lat, lon = p.lon
                  FROM pos_in p
                 WHERE p.nth = 1 AND p.stored AND g.target_id = p.target_id AND g.ts = p.ts
                   AND (g.lat, g.lon) IS DISTINCT FROM (p.lat, p.lon)
            ), outcomes AS (
                SELECT r, 'observations_' || CASE WHEN nth > 1 THEN 'repeated' WHEN NOT stored THEN 'new'
                         WHEN tmi.merge_reading(s_payload, s_raw, o, r) = s_payload THEN 'unchanged'
                         ELSE 'corrected' END AS outcome
                  FROM obs_in
                UNION ALL
                SELECT r, 'positions_' || CASE WHEN nth > 1 THEN 'repeated' WHEN NOT stored THEN 'new'
                         WHEN (s_lat, s_lon) IS NOT DISTINCT FROM (lat, lon) THEN 'unchanged'
                         ELSE 'corrected' END
                  FROM pos_in
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
        // the statement merges its readings with the stored ones itself: the per-row check of
        // tmi.obs_once / tmi.position_once is skipped for it alone (a failed statement's rollback
        // undoes the setting with it)
        readingsMerged(c, "on");
        Outcomes outcomes = write(c, kind, targets.endArray().toString(), rows.endArray().toString());
        readingsMerged(c, "off");
        return outcomes;
    }

    private static Outcomes write(Connection c, String kind, String targets, String rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(WRITE)) {
            ps.setString(1, targets);
            ps.setString(2, rows);
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

    private static void readingsMerged(Connection c, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT set_config('tmi.readings_merged', ?, true)")) {
            ps.setString(1, value);
            ps.execute();
        }
    }

    /** A JSON object of already-encoded values. */
    static void object(JsonWriter w, Map<String, String> values) {
        w.beginObject();
        values.forEach((k, json) -> w.name(k).raw(json));
        w.endObject();
    }
}
