// SPDX-License-Identifier: MIT
package io.tmidb.stored.alarm;

import io.tmidb.stored.Ids;
import io.tmidb.stored.json.JsonWriter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates alarm rules on queued observations (tmi.alarm_pending), per rule and target in time
 * order: an alarm is raised once the condition has held for the rule's for_duration, stays open
 * (active, then perhaps acknowledged) while it holds, and clears with hysteresis. At most one
 * alarm per rule and target is open. Observations older than the newest one evaluated for a rule
 * and target arrive too late to change its state and are skipped; a correction of the newest one
 * (a reading is stored once per target and time) is evaluated again.
 */
public final class Alarms {
    private static final String CLAIM = """
            WITH p AS (DELETE FROM tmi.alarm_pending WHERE pending_id = ANY(CAST(? AS bigint[])) RETURNING *)
            SELECT r.rule_id, p.target_id::text, p.ts, p.payload->>r.field, jsonb_typeof(p.payload->r.field),
                   r.field, r.op, r.threshold, r.clear_at, extract(epoch FROM r.for_duration)
              FROM p
              JOIN tmi.target t ON t.target_id = p.target_id
              JOIN tmi.alarm_rule r ON r.enabled AND (r.scope_target = p.target_id OR r.scope_kind = t.kind)
             ORDER BY r.rule_id, p.target_id, p.ts, p.obs_id""";

    /** State of one rule on one target while evaluating. */
    private static final class Track {
        final AlarmRule rule;
        final String target;
        Instant pendingSince;
        Instant lastTs;
        boolean open;
        /** Raisings (value) and clearings (null value) in time order. */
        final List<Object[]> transitions = new ArrayList<>();

        Track(AlarmRule rule, String target) {
            this.rule = rule;
            this.target = target;
        }
    }

    private Alarms() {
    }

    public static void evaluate(Connection c, long[] pendingIds) throws SQLException {
        Map<String, Track> tracks = new LinkedHashMap<>();
        Map<String, List<Object[]>> values = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setString(1, Ids.toArrayLiteral(pendingIds));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getLong(1) + "/" + rs.getString(2);
                    if (!tracks.containsKey(key)) {
                        double clear = rs.getDouble(9);
                        Double clearAt = rs.wasNull() ? null : clear;
                        AlarmRule rule = new AlarmRule(rs.getLong(1), rs.getString(6), rs.getString(7), rs.getDouble(8),
                                clearAt, Duration.ofMillis(Math.round(rs.getDouble(10) * 1000)));
                        tracks.put(key, new Track(rule, rs.getString(2)));
                    }
                    Double v = numeric(rs.getString(4), rs.getString(5));
                    if (v != null) {
                        values.computeIfAbsent(key, k -> new ArrayList<>()).add(new Object[] {rs.getTimestamp(3).toInstant(), v});
                    }
                }
            }
        }
        if (tracks.isEmpty()) {
            return;
        }
        loadState(c, tracks);
        for (Map.Entry<String, Track> e : tracks.entrySet()) {
            run(e.getValue(), values.getOrDefault(e.getKey(), List.of()));
        }
        save(c, tracks.values());
    }

    private static void run(Track t, List<Object[]> series) {
        for (Object[] point : series) {
            Instant ts = (Instant) point[0];
            double v = (Double) point[1];
            if (t.lastTs != null && ts.isBefore(t.lastTs)) {
                continue;
            }
            t.lastTs = ts;
            if (t.open) {
                if (t.rule.clears(v)) {
                    t.transitions.add(new Object[] {ts, null});
                    t.open = false;
                }
                continue;
            }
            if (!t.rule.holds(v)) {
                t.pendingSince = null;
                continue;
            }
            if (t.pendingSince == null) {
                t.pendingSince = ts;
            }
            if (Duration.between(t.pendingSince, ts).compareTo(t.rule.forDuration()) >= 0) {
                t.transitions.add(new Object[] {ts, v});
                t.open = true;
                t.pendingSince = null;
            }
        }
    }

    private static void loadState(Connection c, Map<String, Track> tracks) throws SQLException {
        String pairs = pairs(tracks.values());
        try (PreparedStatement ps = c.prepareStatement("SELECT s.rule_id || '/' || s.target_id, s.pending_since, s.last_ts"
                + " FROM tmi.alarm_state s JOIN jsonb_to_recordset(CAST(? AS jsonb)) AS x (r bigint, t uuid)"
                + " ON s.rule_id = x.r AND s.target_id = x.t FOR UPDATE OF s")) {
            ps.setString(1, pairs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Track t = tracks.get(rs.getString(1));
                    Timestamp since = rs.getTimestamp(2);
                    t.pendingSince = since == null ? null : since.toInstant();
                    t.lastTs = rs.getTimestamp(3).toInstant();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT a.rule_id || '/' || a.target_id, a.alarm_id"
                + " FROM tmi.alarm_event a JOIN jsonb_to_recordset(CAST(? AS jsonb)) AS x (r bigint, t uuid)"
                + " ON a.rule_id = x.r AND a.target_id = x.t WHERE a.state <> 'cleared' FOR UPDATE OF a")) {
            ps.setString(1, pairs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tracks.get(rs.getString(1)).open = true;
                }
            }
        }
    }

    /**
     * Writes transitions one by one in time order (they are rare; order matters because at most one
     * alarm per rule and target may be open), then every track's state in one statement.
     */
    private static void save(Connection c, Iterable<Track> tracks) throws SQLException {
        JsonWriter state = new JsonWriter().beginArray();
        try (PreparedStatement raise = c.prepareStatement("INSERT INTO tmi.alarm_event (rule_id, target_id, state, value, raised_at)"
                + " VALUES (?, CAST(? AS uuid), 'active', ?, CAST(? AS timestamptz))");
             PreparedStatement clear = c.prepareStatement("UPDATE tmi.alarm_event SET state = 'cleared', cleared_at = CAST(? AS timestamptz)"
                     + " WHERE rule_id = ? AND target_id = CAST(? AS uuid) AND state <> 'cleared'")) {
            for (Track t : tracks) {
                for (Object[] tr : t.transitions) {
                    if (tr[1] != null) {
                        raise.setLong(1, t.rule.ruleId());
                        raise.setString(2, t.target);
                        raise.setDouble(3, (Double) tr[1]);
                        raise.setString(4, tr[0].toString());
                        raise.execute();
                    } else {
                        clear.setString(1, tr[0].toString());
                        clear.setLong(2, t.rule.ruleId());
                        clear.setString(3, t.target);
                        clear.execute();
                    }
                }
                if (t.lastTs != null) {
                    state.beginObject().name("r").value(t.rule.ruleId()).name("t").value(t.target)
                            .name("p").value(t.pendingSince == null ? null : t.pendingSince.toString())
                            .name("l").value(t.lastTs.toString()).endObject();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO tmi.alarm_state (rule_id, target_id, pending_since, last_ts)
                SELECT r, t, p, l FROM jsonb_to_recordset(CAST(? AS jsonb)) AS x (r bigint, t uuid, p timestamptz, l timestamptz)
                ON CONFLICT (rule_id, target_id) DO UPDATE SET pending_since = EXCLUDED.pending_since, last_ts = EXCLUDED.last_ts""")) {
            ps.setString(1, state.endArray().toString());
            ps.execute();
        }
    }

    private static String pairs(Iterable<Track> tracks) {
        JsonWriter w = new JsonWriter().beginArray();
        for (Track t : tracks) {
            w.beginObject().name("r").value(t.rule.ruleId()).name("t").value(t.target).endObject();
        }
        return w.endArray().toString();
    }

    private static Double numeric(String text, String type) {
        if (text == null || !("number".equals(type) || "string".equals(type))) {
            return null;
        }
        try {
            return Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
