-- SPDX-License-Identifier: MIT
-- Listeners, subscriptions and tokens: messages as a user sees them in psql.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.add_target('Bike 1', 'bike', '{"battery": 80, "model": "city"}', 'B1') IS NOT NULL AS created;
SELECT tmi.add_target('Car 1', 'car', '{"fuel": 40}', 'C1') IS NOT NULL AS created;
SELECT tmi.observe(tmi.target_id('bike', 'B1'), '2026-11-27 12:00Z', '{"battery": 80, "speed": 12}') > 0 AS observed;
SELECT tmi.observe(tmi.target_id('car', 'C1'), '2026-11-27 12:00Z', '{"fuel": 39}', 37.5, 127.0) > 0 AS observed;
SELECT tmi.add_listener('alice') > 0 AS added;
-- fail: a listener name is part of URLs
SELECT tmi.add_listener('alice smith');
-- fail: taken name
SELECT tmi.add_listener('alice');
SELECT tmi.subscribe('alice', 'bike', ARRAY['battery']) > 0 AS subscribed;
-- fail: no such listener
SELECT tmi.subscribe('bob', 'bike');
-- fail: a kind is an identifier (a target id must be cast to uuid)
SELECT tmi.subscribe('alice', 'Bikes and more');
-- fail: an empty list of fields
SELECT tmi.subscribe('alice', 'bike', '{}');
-- fail: no such target
SELECT tmi.subscribe('alice', '00000000-0000-0000-0000-000000000000'::uuid);
-- what alice sees, through the database's eyes
BEGIN;
SET LOCAL ROLE tmi_listener;
SELECT set_config('request.jwt.claims', '{"role": "tmi_listener", "listener": "alice"}', true) IS NOT NULL AS claims;
SELECT name, meta FROM tmi.listener_targets('alice');
-- row-level security: only the subscribed kind's targets and readings, and only the subscribed fields
SELECT kind, name, ext_key FROM tmi.target ORDER BY name;
SELECT count(*) AS readings, count(DISTINCT target_id) AS targets FROM tmi.ts_obs;
SELECT count(*) AS positions FROM tmi.geo_trace;
SELECT tmi.visible_payload(target_id, ts, obs_id) AS payload FROM tmi.ts_obs;
-- fail: listeners may not read raw attributes
SELECT meta FROM tmi.target;
ROLLBACK;
BEGIN;
SET LOCAL ROLE tmi_listener;
-- fail: nor raw readings
SELECT payload FROM tmi.ts_obs;
ROLLBACK;
-- a listener nobody subscribed sees nothing
BEGIN;
SET LOCAL ROLE tmi_listener;
SELECT set_config('request.jwt.claims', '{"role": "tmi_listener", "listener": "mallory"}', true) IS NOT NULL AS claims;
SELECT count(*) AS targets FROM tmi.target;
SELECT count(*) AS readings FROM tmi.ts_obs;
ROLLBACK;
-- a speaker sees every row
BEGIN;
SET LOCAL ROLE tmi_speaker;
SELECT kind, name FROM tmi.target ORDER BY name;
ROLLBACK;
-- fail: ttl must be positive
SELECT tmi.issue_token('alice', '0 seconds');
SELECT array_length(string_to_array(tmi.issue_token('alice'), '.'), 1) AS token_parts;
SELECT tmi.unsubscribe('alice', 'bike') AS unsubscribed, tmi.unsubscribe('alice', 'bike') AS again;
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
