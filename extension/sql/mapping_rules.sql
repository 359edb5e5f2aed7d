-- SPDX-License-Identifier: MIT
-- Mapping rules: timestamps, values and positions as feeds write them, and what the check refuses.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.check_mapping_rule('{"kind": "weather", "key": "$.station", "position": {"geojson": "$.geometry"},
  "timestamp": {"path": "$.time", "format": "pattern", "pattern": "dd/MM/yyyy HH:mm", "timezone": "Europe/Paris"},
  "fields": {"temp": {"path": "$.temp", "type": "number", "unit": "°C"},
             "latency": {"path": "$.latency", "type": "integer", "unit": "ms"},
             "label": {"path": "$.label", "type": "text", "trim": true},
             "seen": {"path": "$.seen", "type": "timestamp", "format": "pattern", "pattern": "yyyy-MM-dd''T''HH:mm:ss.SSSXXX"},
             "local": {"path": "$.local", "type": "timestamp", "timezone": "America/New_York"}}}') IS NOT NULL AS valid;
-- fail: unknown time zone
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "timezone": "Mars/Olympus"}}');
-- fail: an abbreviation is not an IANA name
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "timezone": "CEST"}}');
-- fail: epoch values are absolute
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "format": "epoch_s", "timezone": "UTC"}}');
-- fail: a pattern without format pattern
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "pattern": "dd/MM/yyyy"}}');
-- fail: an unquoted literal letter
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "format": "pattern", "pattern": "yyyy-MM-ddTHH:mm"}}');
-- fail: too many letters for a day
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "fields": {"t": {"path": "$.t", "type": "timestamp", "format": "pattern", "pattern": "dddd/MM/yyyy"}}}');
-- fail: optional sections are not allowed
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "format": "pattern", "pattern": "yyyy-MM-dd[ HH:mm]"}}');
-- fail: no day
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "format": "pattern", "pattern": "MM/yyyy"}}');
-- fail: h needs a
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "format": "pattern", "pattern": "dd/MM/yyyy hh:mm"}}');
-- fail: unknown key in timestamp
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "timestamp": {"path": "$.t", "zone": "UTC"}}');
-- fail: a unit that starts like a number
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "fields": {"v": {"path": "$.v", "type": "number", "unit": "1000 ms"}}}');
-- fail: a unit on a text field
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "fields": {"v": {"path": "$.v", "type": "text", "unit": "ms"}}}');
-- fail: trim on a number
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "fields": {"v": {"path": "$.v", "type": "number", "trim": true}}}');
-- fail: position and lat/lon together
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "lat": "$.lat", "lon": "$.lon", "position": {"geojson": "$.geometry"}}');
-- fail: position names a geometry
SELECT tmi.check_mapping_rule('{"kind": "k", "key": "$.id", "position": {"lat": "$.lat"}}');
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
