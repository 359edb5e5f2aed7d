-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- What pg_dump keeps: the rows of every table that holds user data.
-------------------------------------------------------------------------------
-- (one call per statement: each call rewrites the pg_extension row)
DO $config$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tmi.target', 'tmi.geo_trace', 'tmi.ingest_connector', 'tmi.raw_bucket',
                             'tmi.model_versions', 'tmi.mapping_rule', 'tmi.alarm_rule', 'tmi.alarm_event',
                             'tmi.listener', 'tmi.listener_subscription', 'tmi.stream_def', 'tmi.event_log',
                             'tmi.file_attachment', 'tmi.kind_attr', 'tmi.schema_pending', 'tmi.alarm_pending',
                             'tmi.alarm_state', 'tmi.server_secret', 'tmi.relay_cursor', 'tmi.token'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(t::regclass, '');
    END LOOP;
    FOR t IN
        SELECT pg_catalog.pg_get_serial_sequence(c.oid::regclass::text, a.attname)
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = 'tmi'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND a.attnum > 0 AND pg_catalog.pg_get_serial_sequence(c.oid::regclass::text, a.attname) IS NOT NULL
    LOOP
        PERFORM pg_catalog.pg_extension_config_dump(t::regclass, '');
    END LOOP;
END
$config$;

