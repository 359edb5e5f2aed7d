-- SPDX-License-Identifier: MIT
-- A small demo data set: bikes and air sensors around Seoul City Hall with an hour of history,
-- a raw document from a speaker, and a connector. Loaded by scripts/run on a new node.
\set ON_ERROR_STOP on
BEGIN;
SELECT tmi.add_target('Bike ' || i, 'bike', jsonb_build_object('model', CASE WHEN i % 3 = 0 THEN 'cargo' ELSE 'city' END),
                      'B' || (100 + i))
  FROM generate_series(1, 12) i;
SELECT tmi.add_target('Air sensor ' || s, 'air_sensor', jsonb_build_object('district', s), 'AQ-' || s)
  FROM unnest(ARRAY['jung', 'jongno', 'yongsan']) s;

-- each bike rides north-east from its dock, one position every 5 minutes
SELECT tmi.observe(tmi.target_id('bike', 'B' || (100 + i)),
                   now() - (12 - m) * interval '5 minutes',
                   jsonb_build_object('battery', 95 - m * 2 - i, 'speed_kmh', round((8 + (i * m) % 14)::numeric, 1)),
                   37.5663 + (i - 6) * 0.004 + m * 0.0004,
                   126.9779 + (i % 4 - 2) * 0.005 + m * 0.0005)
  FROM generate_series(1, 12) i, generate_series(0, 12) m;

SELECT tmi.observe(tmi.target_id('air_sensor', 'AQ-' || s),
                   now() - (12 - m) * interval '5 minutes',
                   jsonb_build_object('pm10', 30 + (m * 7 + length(s)) % 25, 'pm25', 12 + (m * 3) % 9),
                   lat, lon)
  FROM (VALUES ('jung', 37.5641, 126.9979), ('jongno', 37.5720, 126.9794), ('yongsan', 37.5326, 126.9905)) AS a (s, lat, lon),
       generate_series(0, 12) m;

SELECT tmi.ingest('field-app', '{"reported_by": "inspector 7", "station": "B105", "note": "dock 3 jammed"}');
-- a connector to show its run state; disabled, as the demo's URL serves nothing
SELECT tmi.add_connector('seoul-air', 'https://example.org/seoul/air-quality.json', every => '5 minutes');
SELECT tmi.set_connector('seoul-air', enabled => false);
COMMIT;
