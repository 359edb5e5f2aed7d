-- SPDX-License-Identifier: MIT
CREATE FUNCTION tmi.add_alarm(scope text, field text, op text, threshold double precision,
                              clear_at double precision DEFAULT NULL, for_duration interval DEFAULT '0',
                              severity text DEFAULT 'warning', evaluate_existing boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    target uuid;
    id bigint;
    ids text;
BEGIN
    PERFORM tmi.require(scope, 'scope', 'Pass a kind (e.g. ''pump'') or a target id.');
    PERFORM tmi.require(field, 'field', 'Name the observation field to watch, e.g. ''temperature''.');
    PERFORM tmi.require(op, 'op', 'Pass one of >, >=, <, <=, =, <>.');
    PERFORM tmi.require(threshold, 'threshold', 'Pass the value the field is compared with.');
    PERFORM tmi.require(for_duration, 'for_duration', 'Pass ''0'' to raise at once, or how long the condition must hold.');
    IF scope ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        target := scope::uuid;
        IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = target) THEN
            RAISE EXCEPTION 'target % does not exist', scope USING ERRCODE = '42704',
                HINT = 'Pass the id of an existing target, or a kind.';
        END IF;
    ELSIF scope !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'scope "%" is neither a kind nor a target id', scope USING ERRCODE = '22023',
            HINT = 'Pass a kind (lower-case identifier, e.g. ''pump'') or a target''s uuid.';
    END IF;
    IF op NOT IN ('>', '>=', '<', '<=', '=', '<>') THEN
        RAISE EXCEPTION 'unknown operator "%"', op USING ERRCODE = '22023', HINT = 'Use one of >, >=, <, <=, =, <>.';
    END IF;
    IF threshold = 'NaN' OR threshold IN ('Infinity', '-Infinity') OR clear_at = 'NaN' OR clear_at IN ('Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'threshold and clear_at must be finite numbers' USING ERRCODE = '22023',
            HINT = 'Pass ordinary numbers.';
    END IF;
    -- clear_at is inclusive (a reading at clear_at clears), so it may equal a strict threshold only
    IF clear_at IS NOT NULL AND (op IN ('=', '<>')
            OR op = '>' AND clear_at > threshold OR op = '>=' AND clear_at >= threshold
            OR op = '<' AND clear_at < threshold OR op = '<=' AND clear_at <= threshold) THEN
        RAISE EXCEPTION 'clear_at % does not give hysteresis for % %', clear_at, op, threshold USING ERRCODE = '22023',
            DETAIL = 'An alarm clears at readings at or past clear_at: for "> t" clear_at <= t, for ">= t" clear_at < t;'
                     ' for "< t" clear_at >= t, for "<= t" clear_at > t.',
            HINT = 'Pass a clear_at on the safe side of the threshold, or NULL to clear as soon as the condition fails.';
    END IF;
    IF evaluate_existing IS NULL THEN
        RAISE EXCEPTION 'evaluate_existing must be true or false' USING ERRCODE = '22004',
            HINT = 'Pass true to evaluate each target''s latest reading now, false to wait for new readings.';
    END IF;
    IF for_duration < interval '0' THEN
        RAISE EXCEPTION 'for_duration must not be negative' USING ERRCODE = '22023',
            DETAIL = format('for_duration = %s', for_duration), HINT = 'Pass ''0'' to raise at once.';
    END IF;
    IF severity IS NULL OR severity NOT IN ('info', 'warning', 'critical') THEN
        RAISE EXCEPTION 'unknown severity "%"', severity USING ERRCODE = '22023', HINT = 'Use info, warning or critical.';
    END IF;
    INSERT INTO tmi.alarm_rule (scope_kind, scope_target, field, op, threshold, clear_at, for_duration, severity)
    VALUES (CASE WHEN target IS NULL THEN scope END, target, field, op, threshold, clear_at, for_duration, severity)
    RETURNING rule_id INTO id;
    IF evaluate_existing THEN
        -- each target's latest reading of the field, as if it had just arrived
        WITH queued AS (
            INSERT INTO tmi.alarm_pending (target_id, ts, obs_id, payload)
            SELECT l.target_id, l.ts, l.obs_id, l.payload
              FROM tmi.target t
             CROSS JOIN LATERAL (SELECT o.target_id, o.ts, o.obs_id, o.payload FROM tmi.ts_obs o
                                  WHERE o.target_id = t.target_id AND o.payload ? add_alarm.field
                                  ORDER BY o.ts DESC LIMIT 1) l
             WHERE CASE WHEN target IS NULL THEN t.kind = scope ELSE t.target_id = target END
            RETURNING pending_id)
        SELECT array_agg(pending_id ORDER BY pending_id)::text INTO ids FROM queued;
        PERFORM tmi.wake_alarms(ids);
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_alarm(text, text, text, double precision, double precision, interval, text, boolean) IS
    'Watches an observation field of a kind or target: raises when "field op threshold" holds for for_duration, clears at'
    ' readings at or past clear_at; evaluate_existing (default true) evaluates each target''s latest reading at once';

CREATE FUNCTION tmi.ack_alarm(alarm_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    current_state text;
BEGIN
    PERFORM tmi.require(alarm_id, 'alarm_id', 'Pass the id of an alarm from tmi.alarm_event.');
    SELECT a.state INTO current_state FROM tmi.alarm_event a WHERE a.alarm_id = ack_alarm.alarm_id FOR UPDATE;
    IF current_state IS NULL THEN
        RAISE EXCEPTION 'alarm % does not exist', alarm_id USING ERRCODE = '42704',
            HINT = 'See SELECT * FROM tmi.alarm_event WHERE state <> ''cleared''.';
    ELSIF current_state <> 'active' THEN
        RAISE EXCEPTION 'alarm % is %, not active', alarm_id, current_state USING ERRCODE = '55000',
            HINT = 'Only active alarms are acknowledged.';
    END IF;
    UPDATE tmi.alarm_event a SET state = 'acknowledged', acked_at = now() WHERE a.alarm_id = ack_alarm.alarm_id;
END
$fn$;
COMMENT ON FUNCTION tmi.ack_alarm(bigint) IS 'Acknowledges an active alarm; it stays open until it clears';

