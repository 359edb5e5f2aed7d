-- SPDX-License-Identifier: MIT
-- Alarm rules as SQL makes them, what is queued for evaluation, and the states of an alarm.
-- Evaluation itself is the stored logic's (tmidb-worker or PL/Java), so alarms are opened here by
-- hand as the logic would open them.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.add_target('Pump 1', 'pump', '{}', 'P1') IS NOT NULL AS created;
SELECT tmi.observe(tmi.target_id('pump', 'P1'), '2026-11-27 12:00Z', '{"temperature": 81.5}') > 0 AS observed;
SELECT tmi.add_alarm('pump', 'temperature', '>', 80, clear_at => 75, severity => 'critical') AS rule_id;
SELECT scope_kind, field, op, threshold, clear_at, for_duration, severity, enabled FROM tmi.alarm_rule;
-- the latest reading waits for evaluation; a field no rule watches queues nothing
SELECT count(*) AS queued, min(payload->>'temperature') AS temperature FROM tmi.alarm_pending;
SELECT tmi.observe(tmi.target_id('pump', 'P1'), '2026-11-27 12:01Z', '{"pressure": 2.1}') > 0 AS observed;
SELECT count(*) AS queued FROM tmi.alarm_pending;
-- fail: neither a kind nor a target id
SELECT tmi.add_alarm('Big Pumps', 'temperature', '>', 80);
-- fail: no such target
SELECT tmi.add_alarm('00000000-0000-0000-0000-000000000000', 'temperature', '>', 80);
-- fail: unknown operator
SELECT tmi.add_alarm('pump', 'temperature', '=>', 80);
-- fail: clear_at on the wrong side of the threshold
SELECT tmi.add_alarm('pump', 'temperature', '>', 80, clear_at => 85);
-- fail: not a number
SELECT tmi.add_alarm('pump', 'temperature', '>', 'NaN');
-- fail: negative duration
SELECT tmi.add_alarm('pump', 'temperature', '>', 80, for_duration => '-1 minute');
-- fail: unknown severity
SELECT tmi.add_alarm('pump', 'temperature', '>', 80, severity => 'panic');
-- fail: a field is required
SELECT tmi.add_alarm('pump', NULL, '>', 80);
-- an alarm as the stored logic opens it; each change of state is an event
INSERT INTO tmi.alarm_event (rule_id, target_id, state, value, raised_at)
SELECT rule_id, tmi.target_id('pump', 'P1'), 'active', 81.5, '2026-11-27 12:00Z' FROM tmi.alarm_rule;
-- fail: one open alarm per rule and target (terse: the detail names the target's random id)
\set VERBOSITY terse
INSERT INTO tmi.alarm_event (rule_id, target_id, state, value, raised_at)
SELECT rule_id, tmi.target_id('pump', 'P1'), 'active', 82, '2026-11-27 12:02Z' FROM tmi.alarm_rule;
\set VERBOSITY default
SELECT tmi.ack_alarm(alarm_id) FROM tmi.alarm_event;
SELECT state, acked_at IS NOT NULL AS acked FROM tmi.alarm_event;
-- fail: acknowledged already
SELECT tmi.ack_alarm(alarm_id) FROM tmi.alarm_event;
-- fail: no such alarm
SELECT tmi.ack_alarm(404);
UPDATE tmi.alarm_event SET state = 'cleared', cleared_at = '2026-11-27 12:10Z';
SELECT event_type, kind, payload->>'state' AS state, payload->>'value' AS value
  FROM tmi.events_since(0) WHERE event_type LIKE 'alarm.%' ORDER BY event_id;
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
