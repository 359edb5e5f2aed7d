-- SPDX-License-Identifier: MIT
-- Events written by triggers, in commit order, whoever writes: the front door, plain SQL, corrections.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.add_target('Bike 1', 'bike', '{"model": "city"}', 'B1') IS NOT NULL AS created;
SELECT tmi.observe(tmi.target_id('bike', 'B1'), '2026-11-27 12:00Z', '{"battery": 80, "speed": 12}', 37.5, 127.0) > 0 AS observed;
-- the same reading again: stored once, no event
SELECT tmi.observe(tmi.target_id('bike', 'B1'), '2026-11-27 12:00Z', '{"battery": 80, "speed": 12}') > 0 AS observed;
-- a correction: one event with the merged reading
SELECT tmi.observe(tmi.target_id('bike', 'B1'), '2026-11-27 12:00Z', '{"battery": 79}') > 0 AS observed;
-- one statement, two readings and a plain INSERT: one event per target and statement
INSERT INTO tmi.ts_obs (target_id, ts, payload)
VALUES (tmi.target_id('bike', 'B1'), '2026-11-27 12:01Z', '{"battery": 78}'),
       (tmi.target_id('bike', 'B1'), '2026-11-27 12:02Z', '{"battery": 77}');
UPDATE tmi.target SET meta = '{"model": "cargo"}' WHERE ext_key = 'B1';
-- a transaction that fails leaves no event
BEGIN;
SELECT tmi.add_target('Bike 2', 'bike', '{}', 'B2') IS NOT NULL AS created;
ROLLBACK;
SELECT event_id, event_type, kind, payload - 'target_id' - 'obs_id' - 'obs_ids' AS payload
  FROM tmi.events_since(0) ORDER BY event_id;
-- a cursor reads what comes after it
SELECT count(*) AS after_3 FROM tmi.events_since(3);
-- fail: the limit must be positive
SELECT * FROM tmi.events_since(0, 0);
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
