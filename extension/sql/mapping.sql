-- SPDX-License-Identifier: MIT
-- Mapping rules registered and documents queued for them, as SQL does it. Mapping a document is
-- the stored logic's work (tmidb-worker or PL/Java), so documents stay pending here.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.add_mapping('bikes', '{"kind": "bike", "iterate": "$.data.stations[*]", "key": "$.station_id",
  "name": "$.name", "lat": "$.lat", "lon": "$.lon",
  "fields": {"bikes": {"path": "$.num_bikes_available", "type": "integer"}}}') > 0 AS added;
SELECT source, rule->>'kind' AS kind, enabled FROM tmi.mapping_rule;
SELECT tmi.ingest('bikes', '{"data": {"stations": [{"station_id": "s1", "name": "Quay", "lat": 37.5, "lon": 127.0, "num_bikes_available": 4}]}}') > 0 AS stored;
SELECT source, status FROM tmi.raw_bucket ORDER BY raw_id;
-- a rule replaced keeps its id
SELECT tmi.add_mapping('bikes', '{"kind": "bike", "iterate": "$.data.stations[*]", "key": "$.station_id"}') =
       (SELECT rule_id FROM tmi.mapping_rule WHERE source = 'bikes') AS same_rule;
-- nothing failed yet, so nothing to map again
SELECT tmi.remap('bikes') AS queued;
UPDATE tmi.raw_bucket SET status = 'failed';
SELECT tmi.remap('bikes') AS queued;
SELECT source, status FROM tmi.raw_bucket ORDER BY raw_id;
-- fail: no rule for the source
SELECT tmi.remap('trains');
-- fail: a source is required
SELECT tmi.add_mapping(NULL, '{"kind": "bike", "key": "$.id"}');
-- fail: a rule names its kind
SELECT tmi.add_mapping('bikes', '{"key": "$.id"}');
-- fail: a path PostgreSQL cannot parse
SELECT tmi.add_mapping('bikes', '{"kind": "bike", "key": "$.[id"}');
-- fail: a field of an unknown type
SELECT tmi.add_mapping('bikes', '{"kind": "bike", "key": "$.id", "fields": {"v": {"path": "$.v", "type": "decimal"}}}');
-- a preview is the stored logic's too: with no tmidb-worker running, the call says so at once
-- (it reached the worker's side through its own connection, with nothing but CREATE EXTENSION)
SELECT tmi.mapping_preview('{"kind": "bike", "key": "$.station_id"}', '{"station_id": "s1"}');
-- fail: the rule is checked first
SELECT tmi.mapping_preview('{"kind": "Bikes", "key": "$.station_id"}', '{"station_id": "s1"}');
SELECT count(*) AS requests FROM tmi.preview_request;
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
