-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Connectors: URLs that tmidb-worker fetches on a schedule into raw_bucket.
-- The worker keeps each connector's run state on its row (last_attempt,
-- last_success, last_status, last_error, consecutive_failures, next_run, and
-- the ETag/Last-Modified validators of the last stored document). Changes to a
-- connector's configuration wake the worker through
-- pg_notify('tmi_connector', <name>); its own state updates do not.
-- options may hold secrets (headers, auth): tmi.connectors shows them masked.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.check_connector(url text, every interval, format text, options jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
DECLARE
    key text;
    allowed text[] := CASE format WHEN 'html' THEN ARRAY['headers', 'auth', 'select', 'fields']
                                  WHEN 'csv' THEN ARRAY['headers', 'auth', 'delimiter']
                                  ELSE ARRAY['headers', 'auth'] END;
BEGIN
    PERFORM tmi.require(url, 'url', 'Pass the http:// or https:// URL to fetch.');
    PERFORM tmi.require(every, 'every', 'Pass how often to fetch, e.g. ''5 minutes''.');
    PERFORM tmi.require(format, 'format', 'Pass one of json, csv, html, text.');
    PERFORM tmi.require_object(options, 'options');
    IF url !~* '^https?://[^\s/?#@]+(:[0-9]+)?([/?#][^\s]*)?$' OR url ~ '\s' THEN
        RAISE EXCEPTION 'invalid connector URL' USING ERRCODE = '22023',
            DETAIL = format('url = %s', left(url, 200)),
            HINT = 'Pass an absolute http:// or https:// URL with a host; put credentials in options.headers, not in the URL.';
    END IF;
    IF every < interval '1 second' THEN
        RAISE EXCEPTION 'every must be at least 1 second' USING ERRCODE = '22023',
            DETAIL = format('every = %s', every),
            HINT = 'Pass an interval of 1 second or more, e.g. ''30 seconds''.';
    END IF;
    IF format NOT IN ('json', 'csv', 'html', 'text') THEN
        RAISE EXCEPTION 'unknown connector format "%"', format USING ERRCODE = '22023',
            HINT = 'Use one of json, csv, html, text.';
    END IF;
    FOR key IN SELECT k FROM jsonb_object_keys(options) AS k ORDER BY k LOOP
        IF key <> ALL (allowed) THEN
            RAISE EXCEPTION 'unknown option "%" for format %', key, format USING ERRCODE = '22023',
                DETAIL = format('options = %s', left(tmi.mask_connector_options(options)::text, 200)),
                HINT = format('Options of format %s are: %s.', format, array_to_string(allowed, ', '));
        END IF;
    END LOOP;
    IF options ? 'headers' AND (jsonb_typeof(options->'headers') <> 'object' OR EXISTS (
            SELECT 1 FROM jsonb_each(options->'headers') h WHERE jsonb_typeof(h.value) <> 'string' OR h.key !~ '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$')) THEN
        RAISE EXCEPTION 'options.headers must map header names to strings' USING ERRCODE = '22023',
            HINT = 'Pass e.g. ''{"headers": {"X-Api-Key": "..."}}''.';
    END IF;
    IF options ? 'auth' AND NOT coalesce(
            (jsonb_typeof(options->'auth') = 'object' AND options->'auth' ?& ARRAY['user', 'password']
             AND jsonb_typeof(options->'auth'->'user') = 'string' AND jsonb_typeof(options->'auth'->'password') = 'string'
             AND (SELECT count(*) FROM jsonb_object_keys(options->'auth')) = 2)
         OR (jsonb_typeof(options->'auth') = 'object' AND jsonb_typeof(options->'auth'->'bearer') = 'string'
             AND (SELECT count(*) FROM jsonb_object_keys(options->'auth')) = 1), false) THEN
        RAISE EXCEPTION 'options.auth must be basic or bearer credentials' USING ERRCODE = '22023',
            HINT = 'Pass ''{"auth": {"user": "...", "password": "..."}}'' or ''{"auth": {"bearer": "..."}}''.';
    END IF;
    IF format = 'html' AND (jsonb_typeof(options->'select') IS DISTINCT FROM 'string'
            OR jsonb_typeof(options->'fields') IS DISTINCT FROM 'object'
            OR options->'fields' = '{}'
            OR EXISTS (SELECT 1 FROM jsonb_each(options->'fields') f WHERE jsonb_typeof(f.value) <> 'string')) THEN
        RAISE EXCEPTION 'an html connector needs options.select and options.fields' USING ERRCODE = '22023',
            DETAIL = 'select picks the elements (one object each); fields names the sub-selections (CSS selectors) taken from each.',
            HINT = 'Pass e.g. ''{"select": "table.stations tr", "fields": {"name": "td.name", "bikes": "td.bikes"}}''.';
    END IF;
    IF options ? 'delimiter' AND (jsonb_typeof(options->'delimiter') <> 'string' OR length(options->>'delimiter') <> 1
            OR options->>'delimiter' IN ('"', E'\r', E'\n')) THEN
        RAISE EXCEPTION 'options.delimiter must be one character' USING ERRCODE = '22023',
            DETAIL = format('delimiter = %s', options->'delimiter'),
            HINT = 'Pass e.g. ''{"delimiter": ";"}''; the default is a comma.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.check_connector(text, interval, text, jsonb) IS
    'Raises 22004/22023 unless url, every, format and options make a valid connector';

CREATE FUNCTION tmi.mask_connector_options(options jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE WHEN pg_catalog.jsonb_typeof(options) <> 'object' THEN options
                ELSE options
                     || coalesce((SELECT pg_catalog.jsonb_build_object('headers', pg_catalog.jsonb_object_agg(h.key, '********'::text))
                                    FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(options->'headers') = 'object'
                                                                    THEN options->'headers' ELSE '{}' END) h
                                  HAVING count(*) > 0), '{}')
                     || CASE WHEN options ? 'auth' THEN '{"auth": "********"}'::jsonb ELSE '{}' END
           END;
END;
COMMENT ON FUNCTION tmi.mask_connector_options(jsonb) IS
    'Connector options with header values and credentials replaced by ********';

CREATE FUNCTION tmi.set_connector(name text, url text DEFAULT NULL, every interval DEFAULT NULL,
                                  format text DEFAULT NULL, options jsonb DEFAULT NULL, enabled boolean DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    c tmi.ingest_connector;
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the name of the connector to change.');
    IF num_nonnulls(url, every, format, options, enabled) = 0 THEN
        RAISE EXCEPTION 'nothing to change for connector "%"', name USING ERRCODE = '22023',
            HINT = 'Pass at least one of url, every, format, options, enabled, e.g. enabled => false.';
    END IF;
    SELECT * INTO c FROM tmi.ingest_connector x WHERE x.name = set_connector.name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'connector "%" does not exist', name USING ERRCODE = '42704',
            HINT = 'See SELECT name FROM tmi.connectors; create one with tmi.add_connector().';
    END IF;
    PERFORM tmi.check_connector(coalesce(set_connector.url, c.url), coalesce(set_connector.every, c.every),
                                coalesce(set_connector.format, c.format), coalesce(set_connector.options, c.options));
    -- the validators belong to the old URL and conversion; the changed connector runs at once
    UPDATE tmi.ingest_connector x
       SET url = coalesce(set_connector.url, x.url),
           every = coalesce(set_connector.every, x.every),
           format = coalesce(set_connector.format, x.format),
           options = coalesce(set_connector.options, x.options),
           enabled = coalesce(set_connector.enabled, x.enabled),
           etag = CASE WHEN num_nonnulls(set_connector.url, set_connector.format, set_connector.options) > 0 THEN NULL ELSE x.etag END,
           last_modified = CASE WHEN num_nonnulls(set_connector.url, set_connector.format, set_connector.options) > 0 THEN NULL ELSE x.last_modified END,
           next_run = now()
     WHERE x.connector_id = c.connector_id;
    RETURN c.connector_id;
END
$fn$;
COMMENT ON FUNCTION tmi.set_connector(text, text, interval, text, jsonb, boolean) IS
    'Changes the given settings of a connector (options are replaced whole); it runs at once. Returns its id.';

CREATE FUNCTION tmi.drop_connector(name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the name of the connector to drop.');
    -- documents it delivered stay in raw_bucket (their connector_id becomes NULL, source keeps the name)
    DELETE FROM tmi.ingest_connector c WHERE c.name = drop_connector.name RETURNING c.connector_id INTO id;
    IF id IS NULL THEN
        RAISE EXCEPTION 'connector "%" does not exist', name USING ERRCODE = '42704',
            HINT = 'See SELECT name FROM tmi.connectors.';
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.drop_connector(text) IS
    'Removes a connector; the documents it delivered stay in raw_bucket. Returns its id.';

-- A run at once, e.g. to see what a new connector fetches: next_run is a run-state column, which
-- does not wake the worker by itself (ingest_connector_changed), so it is notified here.
CREATE FUNCTION tmi.run_connector(name text)
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    c tmi.ingest_connector;
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the name of the connector to run.');
    SELECT * INTO c FROM tmi.ingest_connector x WHERE x.name = run_connector.name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'connector "%" does not exist', name USING ERRCODE = '42704',
            HINT = 'See SELECT name FROM tmi.connectors; create one with tmi.add_connector().';
    ELSIF NOT c.enabled THEN
        RAISE EXCEPTION 'connector "%" is disabled', name USING ERRCODE = '55000',
            HINT = 'Enable it first: tmi.set_connector(name, enabled => true), which runs it at once too.';
    END IF;
    UPDATE tmi.ingest_connector x SET next_run = now() WHERE x.connector_id = c.connector_id;
    PERFORM pg_notify('tmi_connector', c.name);
    RETURN now();
END
$fn$;
COMMENT ON FUNCTION tmi.run_connector(text) IS
    'Has tmidb-worker run an enabled connector at once (its document is stored as on schedule). Returns the time asked: a last_attempt after it is this run''s';

CREATE VIEW tmi.connectors AS
SELECT c.connector_id, c.name, c.url, c.every, c.format, tmi.mask_connector_options(c.options) AS options,
       c.enabled, c.created_at, c.last_attempt, c.last_success, c.last_status, c.last_error,
       c.consecutive_failures, c.next_run, c.mapping, c.suggestion, c.suggestion_note
  FROM tmi.ingest_connector c;
COMMENT ON VIEW tmi.connectors IS 'Connectors with their run state; secrets in options are masked';

CREATE FUNCTION tmi.connector_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM pg_notify('tmi_connector', CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.connector_changed() IS 'Wakes tmidb-worker (LISTEN tmi_connector) when a connector''s configuration changes';
-- only configuration columns: the worker's own state updates must not wake it
CREATE TRIGGER ingest_connector_changed
    AFTER INSERT OR DELETE OR UPDATE OF name, url, every, format, options, enabled ON tmi.ingest_connector
    FOR EACH ROW EXECUTE FUNCTION tmi.connector_changed();

