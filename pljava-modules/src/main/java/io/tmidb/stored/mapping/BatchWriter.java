// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import io.tmidb.stored.json.JsonWriter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes mapped items of one kind in a single statement: targets upserted (attributes merged;
 * targets that would not change are neither written nor locked, so concurrent batches about the
 * same targets do not wait for each other), observations inserted with their raw id and item number,
 * positions upserted. The triggers on those tables then write events, queue schema changes and
 * alarm evaluation, once per statement.
 */
final class BatchWriter {
    // no SQL comments in statements: PL/Java's parameter parser does not know them
    private static final String WRITE = """
            WITH targets AS (
                SELECT * FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (k text, n text, a jsonb)
            ), items AS (
                SELECT * FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (k text, ts timestamptz, o jsonb,
                                                                        lat float8, lon float8, r bigint, i int)
            ), up AS (
                INSERT INTO tmi.target AS t (kind, ext_key, name, meta)
                SELECT CAST(? AS text), x.k, x.n, x.a FROM targets x
                 WHERE NOT EXISTS (SELECT 1 FROM tmi.target e WHERE e.kind = CAST(? AS text) AND e.ext_key = x.k
                                      AND e.name = x.n AND e.meta @> x.a)
                ON CONFLICT (kind, ext_key) DO UPDATE
                   SET name = EXCLUDED.name, meta = t.meta || EXCLUDED.meta, updated_at = now()
                 WHERE t.name IS DISTINCT FROM EXCLUDED.name OR NOT t.meta @> EXCLUDED.meta
                RETURNING t.target_id, t.ext_key
            ), ids AS (
                SELECT target_id, ext_key FROM up
                UNION ALL
                SELECT t.target_id, t.ext_key FROM tmi.target t JOIN targets x ON t.ext_key = x.k
                 WHERE t.kind = CAST(? AS text) AND NOT EXISTS (SELECT 1 FROM up WHERE up.ext_key = t.ext_key)
            ), obs AS (
                INSERT INTO tmi.ts_obs (target_id, ts, payload, raw_id, raw_item)
                SELECT ids.target_id, i.ts, i.o, i.r, i.i FROM items i JOIN ids ON ids.ext_key = i.k
                 WHERE i.o IS NOT NULL
                RETURNING 1
            ), geo AS (
                INSERT INTO tmi.geo_trace AS g (target_id, ts, lat, lon)
                SELECT DISTINCT ON (ids.target_id, i.ts) ids.target_id, i.ts, i.lat, i.lon
                  FROM items i JOIN ids ON ids.ext_key = i.k
                 WHERE i.lat IS NOT NULL
                 ORDER BY ids.target_id, i.ts, i.r DESC, i.i DESC
                ON CONFLICT (target_id, ts) DO UPDATE SET lat = EXCLUDED.lat, lon = EXCLUDED.lon
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM obs), (SELECT count(*) FROM geo)""";

    private BatchWriter() {
    }

    /** Writes the items (all of kind {@code kind}); returns {observations, positions} written. */
    static long[] write(Connection c, String kind, List<MappedItem> items) throws SQLException {
        if (items.isEmpty()) {
            return new long[] {0, 0};
        }
        // one target row per key: the latest name, attributes merged in item order
        Map<String, MappedItem> latest = new LinkedHashMap<>();
        Map<String, Map<String, String>> attributes = new LinkedHashMap<>();
        for (MappedItem item : items) {
            latest.put(item.key(), item);
            attributes.computeIfAbsent(item.key(), k -> new LinkedHashMap<>()).putAll(item.attributes());
        }
        JsonWriter targets = new JsonWriter().beginArray();
        for (MappedItem item : latest.values()) {
            targets.beginObject().name("k").value(item.key()).name("n").value(item.name()).name("a");
            object(targets, attributes.get(item.key()));
            targets.endObject();
        }
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
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2)};
            }
        }
    }

    /** A JSON object of already-encoded values. */
    static void object(JsonWriter w, Map<String, String> values) {
        w.beginObject();
        values.forEach((k, json) -> w.name(k).raw(json));
        w.endObject();
    }
}
