-- SPDX-License-Identifier: MIT
-- The SQL front door's messages, as a user sees them in psql.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.add_target('Pump 1', 'pump', '{"vendor": "acme"}', 'P1') IS NOT NULL AS created;
-- fail: a kind names API views, so it must be an identifier
SELECT tmi.add_target('Pump 2', 'Big Pumps');
-- fail: meta must be an object
SELECT tmi.add_target('Pump 2', 'pump', '[1, 2, 3]');
-- fail: name is required
SELECT tmi.add_target(NULL, 'pump');
-- fail: no such target
SELECT tmi.target_id('pump', 'P404');
-- fail: unknown target
SELECT tmi.observe('00000000-0000-0000-0000-000000000000', '2026-11-27 12:00Z', '{"v": 1}');
-- fail: payload must be an object
SELECT tmi.observe(tmi.target_id('pump', 'P1'), '2026-11-27 12:00Z', '3.5');
-- fail: half a position
SELECT tmi.observe(tmi.target_id('pump', 'P1'), '2026-11-27 12:00Z', '{"v": 1}', lat => 37.5);
-- fail: latitude out of range
SELECT tmi.observe(tmi.target_id('pump', 'P1'), '2026-11-27 12:00Z', '{"v": 1}', 95, 10);
SELECT tmi.observe(tmi.target_id('pump', 'P1'), '2026-11-27 12:00Z', '{"v": 1}', 37.5, 127.0) > 0 AS observed;
SELECT name, target_kind, target_lat, target_lon, round(distance_m) AS distance_m
  FROM tmi.near(37.501, 127.0, 500);
-- fail: radius must be positive
SELECT * FROM tmi.near(37.5, 127.0, -5);
SELECT tmi.add_connector('bikes', 'https://example.org/gbfs/station_status.json', every => '30 seconds');
-- fail: taken name
SELECT tmi.add_connector('bikes', 'https://example.org/other.json');
-- fail: not http(s)
SELECT tmi.add_connector('files', 'file:///etc/passwd');
-- fail: too often
SELECT tmi.add_connector('fast', 'https://example.org/', every => '100 milliseconds');
-- fail: unknown format
SELECT tmi.add_connector('feed', 'https://example.org/', format => 'yaml');
SELECT tmi.ingest('bikes', '{"stations": []}');
-- fail: PostgreSQL's JSON parser rejects malformed input
SELECT tmi.ingest('bikes', '{"stations": [}');
SET tmi.max_payload_bytes = 64;
-- fail: over the configured limit
SELECT tmi.ingest('bikes', '{"stations": ["a long station name that makes this document big"]}');
RESET tmi.max_payload_bytes;
SELECT source, connector_id, status, payload FROM tmi.raw_bucket ORDER BY raw_id;
SELECT subsystem, state, detail FROM tmi.status() WHERE subsystem IN ('extension', 'raw_bucket', 'connectors');
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
