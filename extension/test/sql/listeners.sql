-- SPDX-License-Identifier: MIT
-- Listeners, subscriptions and tokens: messages as a user sees them in psql.
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT tmi.add_target('Bike 1', 'bike', '{"battery": 80, "model": "city"}', 'B1') IS NOT NULL AS created;
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
-- fail: listeners may not read raw attributes
SELECT meta FROM tmi.target;
ROLLBACK;
-- fail: ttl must be positive
SELECT tmi.issue_token('alice', '0 seconds');
SELECT array_length(string_to_array(tmi.issue_token('alice'), '.'), 1) AS token_parts;
SELECT tmi.unsubscribe('alice', 'bike') AS unsubscribed, tmi.unsubscribe('alice', 'bike') AS again;
