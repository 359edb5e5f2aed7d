-- SPDX-License-Identifier: MIT
-- tmiDB 0.1 -> 0.2. Every change made to tmidb--0.2.sql is repeated here, in sections by subject,
-- so that ALTER EXTENSION tmidb UPDATE gives a 0.1 database exactly what CREATE EXTENSION gives a
-- new one (UpgradeIT compares the two).
\echo Use "ALTER EXTENSION tmidb UPDATE TO '0.2'" to load this file. \quit

-------------------------------------------------------------------------------
-- Readings stored once: ts_obs is keyed by (target_id, ts); a reading delivered
-- again is merged into the stored one (see tmidb--0.2.sql, "Readings stored once").
-------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION tmi.index_ts_obs(rel regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = rel);
BEGIN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (target_id, ts)', rel, name || '_pkey');
    EXECUTE format('CREATE INDEX %I ON %s (ts)', name || '_ts_idx', rel);
    EXECUTE format('CREATE INDEX %I ON %s (raw_id, raw_item) WHERE raw_id IS NOT NULL', name || '_raw_idx', rel);
END
$fn$;
COMMENT ON FUNCTION tmi.index_ts_obs(regclass) IS 'Creates the key and indexes of ts_obs (or of one of its partitions)';

-- Readings that 0.1 stored more than once become one row: the oldest row (by obs_id) keeps its
-- obs_id and takes the fields of the later ones, the later rows winning per field, as a repeated
-- delivery does from now on. No event is made: nothing new was observed. Then every partition (or
-- the hypertable) gets its new key.
DO $once$
DECLARE
    replication_role text := pg_catalog.current_setting('session_replication_role');
    part regclass;
    merged bigint := 0;
    n bigint;
BEGIN
    PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
    WITH dup AS (
        SELECT o.target_id, o.ts, pg_catalog.min(o.obs_id) AS keep,
               pg_catalog.array_agg(o.payload ORDER BY o.obs_id) AS payloads
          FROM tmi.ts_obs o GROUP BY o.target_id, o.ts HAVING pg_catalog.count(*) > 1
    ), fold AS (
        SELECT d.target_id, d.ts, d.keep,
               (SELECT pg_catalog.jsonb_object_agg(f.key, f.value ORDER BY f.ord)
                  FROM (SELECT DISTINCT ON (e.key) e.key, e.value, p.ord
                          FROM unnest(d.payloads) WITH ORDINALITY p (doc, ord), pg_catalog.jsonb_each(p.doc) e
                         ORDER BY e.key, p.ord DESC) f) AS payload
          FROM dup d
    ), kept AS (
        UPDATE tmi.ts_obs o SET payload = f.payload FROM fold f
         WHERE o.target_id = f.target_id AND o.ts = f.ts AND o.obs_id = f.keep
        RETURNING o.target_id, o.ts, o.obs_id
    )
    DELETE FROM tmi.ts_obs o USING kept k WHERE o.target_id = k.target_id AND o.ts = k.ts AND o.obs_id <> k.obs_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    merged := merged + n;
    PERFORM pg_catalog.set_config('session_replication_role', replication_role, true);
    IF merged > 0 THEN
        RAISE NOTICE 'tmidb: % observations repeated a stored reading and were merged into it', merged;
    END IF;
    IF tmi.storage_mode() = 'native' THEN
        FOR part IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i WHERE i.inhparent = 'tmi.ts_obs'::regclass LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', part,
                                      (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = part) || '_pkey');
            EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (target_id, ts)', part,
                                      (SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = part) || '_pkey');
        END LOOP;
    ELSE
        ALTER TABLE tmi.ts_obs DROP CONSTRAINT ts_obs_pkey;
        ALTER TABLE tmi.ts_obs ADD CONSTRAINT ts_obs_pkey PRIMARY KEY (target_id, ts);
    END IF;
END
$once$;

CREATE FUNCTION tmi.merge_reading(stored jsonb, stored_raw bigint, delivered jsonb, delivered_raw bigint)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    -- a document mapped again (remap) does not undo what a later document changed
    SELECT CASE WHEN delivered_raw < stored_raw THEN delivered OPERATOR(pg_catalog.||) stored
                ELSE stored OPERATOR(pg_catalog.||) delivered END;
END;
COMMENT ON FUNCTION tmi.merge_reading(jsonb, bigint, jsonb, bigint) IS
    'A stored observation with a delivered one merged in: fields of the newer document (by raw_id; direct writes are newest) win';

-- no SET search_path: it runs for every row written, and names are qualified
CREATE FUNCTION tmi.obs_once()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    stored tmi.ts_obs;
    merged jsonb;
BEGIN
    SELECT * INTO stored FROM tmi.ts_obs o
     WHERE o.target_id OPERATOR(pg_catalog.=) NEW.target_id AND o.ts OPERATOR(pg_catalog.=) NEW.ts FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    merged := tmi.merge_reading(stored.payload, stored.raw_id, NEW.payload, NEW.raw_id);
    IF merged OPERATOR(pg_catalog.<>) stored.payload THEN
        UPDATE tmi.ts_obs o
           SET payload = merged,
               raw_id = CASE WHEN NEW.raw_id OPERATOR(pg_catalog.<) stored.raw_id THEN stored.raw_id ELSE NEW.raw_id END,
               raw_item = CASE WHEN NEW.raw_id OPERATOR(pg_catalog.<) stored.raw_id THEN stored.raw_item ELSE NEW.raw_item END
         WHERE o.target_id OPERATOR(pg_catalog.=) NEW.target_id AND o.ts OPERATOR(pg_catalog.=) NEW.ts;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.obs_once() IS
    'Stores an observation once per target and time: a repeat is dropped, a different one corrects the stored row';
CREATE TRIGGER ts_obs_once BEFORE INSERT ON tmi.ts_obs FOR EACH ROW EXECUTE FUNCTION tmi.obs_once();

CREATE FUNCTION tmi.position_once()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    stored tmi.geo_trace;
BEGIN
    SELECT * INTO stored FROM tmi.geo_trace g
     WHERE g.target_id OPERATOR(pg_catalog.=) NEW.target_id AND g.ts OPERATOR(pg_catalog.=) NEW.ts FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF (stored.lat, stored.lon) IS DISTINCT FROM (NEW.lat, NEW.lon) THEN
        UPDATE tmi.geo_trace g SET lat = NEW.lat, lon = NEW.lon
         WHERE g.target_id OPERATOR(pg_catalog.=) NEW.target_id AND g.ts OPERATOR(pg_catalog.=) NEW.ts;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.position_once() IS
    'Stores a position once per target and time: a repeat is dropped, a different one corrects the stored row';
CREATE TRIGGER geo_trace_once BEFORE INSERT ON tmi.geo_trace FOR EACH ROW EXECUTE FUNCTION tmi.position_once();

CREATE OR REPLACE FUNCTION tmi.observe(target uuid, ts timestamptz, payload jsonb,
                            lat double precision DEFAULT NULL, lon double precision DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass a target id, e.g. tmi.target_id(kind, ext_key).');
    PERFORM tmi.require(ts, 'ts', 'Pass the time of the observation, e.g. now().');
    PERFORM tmi.require_object(payload, 'payload');
    IF (lat IS NULL) <> (lon IS NULL) THEN
        RAISE EXCEPTION 'lat and lon must be given together' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('lat = %s, lon = %s', coalesce(lat::text, 'NULL'), coalesce(lon::text, 'NULL')),
            HINT = 'Pass both coordinates, or neither when the observation has no position.';
    END IF;
    IF lat NOT BETWEEN -90 AND 90 OR lon NOT BETWEEN -180 AND 180 THEN
        RAISE EXCEPTION 'position out of range' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('lat = %s, lon = %s', lat, lon),
            HINT = 'lat lies in [-90, 90] and lon in [-180, 180], in decimal degrees (WGS 84).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = observe.target) THEN
        RAISE EXCEPTION 'target % does not exist', target USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target(name, kind, meta, ext_key).';
    END IF;
    INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES (observe.target, observe.ts, observe.payload)
    RETURNING obs_id INTO id;
    IF id IS NULL THEN  -- the reading was stored before (tmi.obs_once)
        SELECT o.obs_id INTO id FROM tmi.ts_obs o WHERE o.target_id = observe.target AND o.ts = observe.ts;
    END IF;
    IF observe.lat IS NOT NULL THEN
        INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
        VALUES (observe.target, observe.ts, observe.lat, observe.lon);
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.observe(uuid, timestamptz, jsonb, double precision, double precision) IS
    'Records an observation of a target (and its position when lat/lon are given), once per target and time: '
    'a repeat changes nothing, different values correct the stored reading. Returns the obs_id.';

-- one event per target and statement that changed stored observations: the corrected readings
CREATE FUNCTION tmi.obs_corrected_events()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    last_log bigint;
BEGIN
    WITH e AS (
        INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
        SELECT 'obs.corrected', t.kind, n.target_id,
               jsonb_build_object('count', count(*), 'from', min(n.ts), 'to', max(n.ts),
                                  'obs', jsonb_agg(jsonb_build_object('obs_id', n.obs_id, 'ts', n.ts, 'payload', n.payload,
                                                                      'previous', o.payload) ORDER BY n.ts))
          FROM new_rows n JOIN old_rows o USING (target_id, ts) JOIN tmi.target t USING (target_id)
         WHERE n.payload <> o.payload
         GROUP BY n.target_id, t.kind
        RETURNING log_id)
    SELECT max(log_id) INTO last_log FROM e;
    PERFORM tmi.notify_events(last_log);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER ts_obs_corrected_events AFTER UPDATE ON tmi.ts_obs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.obs_corrected_events();

CREATE OR REPLACE FUNCTION tmi.position_events()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    last_log bigint;
BEGIN
    WITH latest AS (
        SELECT DISTINCT ON (n.target_id) n.target_id, n.ts, n.lat, n.lon
          FROM new_rows n ORDER BY n.target_id, n.ts DESC
    ), e AS (
        INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
        SELECT CASE TG_OP WHEN 'INSERT' THEN 'position' ELSE 'position.corrected' END, t.kind, l.target_id,
               jsonb_build_object('ts', l.ts, 'lat', l.lat, 'lon', l.lon)
          FROM latest l JOIN tmi.target t USING (target_id)
        RETURNING log_id)
    SELECT max(log_id) INTO last_log FROM e;
    PERFORM tmi.notify_events(last_log);
    RETURN NULL;
END
$fn$;

-- a corrected reading may bring new fields and must be evaluated again
CREATE TRIGGER ts_obs_corrected AFTER UPDATE ON tmi.ts_obs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.obs_inserted();

REVOKE ALL ON FUNCTION tmi.merge_reading(jsonb, bigint, jsonb, bigint), tmi.obs_once(), tmi.position_once(),
    tmi.obs_corrected_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.merge_reading(jsonb, bigint, jsonb, bigint), tmi.obs_once(), tmi.position_once(),
    tmi.obs_corrected_events() TO tmi_admin;
GRANT EXECUTE ON FUNCTION tmi.merge_reading(jsonb, bigint, jsonb, bigint) TO tmi_speaker;

-------------------------------------------------------------------------------
-- Mapping language: timestamps and values
-- Rules may read a position from a GeoJSON geometry, give timestamps a pattern and a
-- time zone, numbers a unit and text a trim (see tmidb--0.2.sql, tmi.check_mapping_rule).
-------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION tmi.check_mapping_rule(rule jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
DECLARE
    k text;
    f record;
    t record;
    ts_format text;
    run text;
    letters text;
BEGIN
    PERFORM tmi.require_object(rule, 'rule');
    FOR k IN SELECT jsonb_object_keys(rule) LOOP
        IF k NOT IN ('iterate', 'kind', 'key', 'name', 'timestamp', 'lat', 'lon', 'position', 'fields') THEN
            RAISE EXCEPTION 'mapping rule: unknown key "%"', k USING ERRCODE = '22023',
                HINT = 'A rule has iterate, kind, key, name, timestamp, lat, lon, position and fields.';
        END IF;
    END LOOP;
    IF coalesce(rule->>'kind', '') !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'mapping rule: kind must be a lower-case identifier' USING ERRCODE = '22023',
            DETAIL = format('kind = %s', coalesce(rule->'kind', 'null')),
            HINT = 'Name the kind of target the items describe, e.g. "bike_station".';
    END IF;
    PERFORM tmi.check_path(rule->>'key', 'key');
    FOREACH k IN ARRAY ARRAY['iterate', 'name', 'lat', 'lon'] LOOP
        IF rule ? k THEN
            PERFORM tmi.check_path(rule->>k, k);
        END IF;
    END LOOP;
    IF (rule ? 'lat') <> (rule ? 'lon') THEN
        RAISE EXCEPTION 'mapping rule: lat and lon go together' USING ERRCODE = '22023',
            HINT = 'Give both paths, or neither when the items carry no position.';
    END IF;
    IF rule ? 'position' THEN
        IF jsonb_typeof(rule->'position') <> 'object' OR rule ? 'lat'
                OR (SELECT array_agg(pk) FROM jsonb_object_keys(rule->'position') AS pk) IS DISTINCT FROM '{geojson}' THEN
            RAISE EXCEPTION 'mapping rule: position is {"geojson": PATH}, instead of lat and lon' USING ERRCODE = '22023',
                DETAIL = format('position = %s', rule->'position'),
                HINT = 'Name the GeoJSON geometry, e.g. {"geojson": "$.geometry"}; it must be a Point [lon, lat, alt?].';
        END IF;
        PERFORM tmi.check_path(rule->'position'->>'geojson', 'position.geojson');
    END IF;
    IF rule ? 'timestamp' THEN
        IF jsonb_typeof(rule->'timestamp') <> 'object' THEN
            RAISE EXCEPTION 'mapping rule: timestamp must be an object' USING ERRCODE = '22023',
                HINT = 'Write e.g. {"path": "$.last_reported", "format": "epoch_s"}.';
        END IF;
        FOR k IN SELECT jsonb_object_keys(rule->'timestamp') LOOP
            IF k NOT IN ('path', 'format', 'pattern', 'timezone') THEN
                RAISE EXCEPTION 'mapping rule: timestamp has unknown key "%"', k USING ERRCODE = '22023',
                    HINT = 'A timestamp has path, format, pattern and timezone.';
            END IF;
        END LOOP;
        PERFORM tmi.check_path(rule->'timestamp'->>'path', 'timestamp.path');
    END IF;
    IF jsonb_typeof(coalesce(rule->'fields', '{}')) <> 'object' THEN
        RAISE EXCEPTION 'mapping rule: fields must be an object' USING ERRCODE = '22023',
            HINT = 'Map canonical names to field specs, e.g. {"bikes": {"path": "$.num_bikes", "type": "integer"}}.';
    END IF;
    FOR f IN SELECT key, value FROM jsonb_each(coalesce(rule->'fields', '{}')) LOOP
        IF f.key !~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$' THEN
            RAISE EXCEPTION 'mapping rule: invalid field name "%"', f.key USING ERRCODE = '22023',
                DETAIL = 'Field names become API columns.',
                HINT = 'Use letters, digits and underscores, at most 63 characters, not starting with a digit.';
        END IF;
        IF jsonb_typeof(f.value) <> 'object' THEN
            RAISE EXCEPTION 'mapping rule: field "%" must be an object', f.key USING ERRCODE = '22023',
                HINT = 'Write e.g. {"path": "$.temp", "type": "number"}.';
        END IF;
        FOR k IN SELECT jsonb_object_keys(f.value) LOOP
            IF k NOT IN ('path', 'type', 'as', 'scale', 'offset', 'unit', 'trim', 'format', 'pattern', 'timezone', 'required') THEN
                RAISE EXCEPTION 'mapping rule: field "%" has unknown key "%"', f.key, k USING ERRCODE = '22023',
                    HINT = 'A field has path, type, as, scale, offset, unit, trim, format, pattern, timezone and required.';
            END IF;
        END LOOP;
        PERFORM tmi.check_path(f.value->>'path', format('fields.%s.path', f.key));
        IF coalesce(f.value->>'type', '') NOT IN ('number', 'integer', 'text', 'boolean', 'timestamp') THEN
            RAISE EXCEPTION 'mapping rule: field "%" has no valid type', f.key USING ERRCODE = '22023',
                DETAIL = format('type = %s', coalesce(f.value->'type', 'null')),
                HINT = 'Use number, integer, text, boolean or timestamp.';
        END IF;
        IF coalesce(f.value->>'as', 'observation') NOT IN ('attribute', 'observation') THEN
            RAISE EXCEPTION 'mapping rule: field "%": "as" must be attribute or observation', f.key USING ERRCODE = '22023',
                HINT = 'attribute: the target''s latest value (target.meta); observation: a time series value (ts_obs.payload).';
        END IF;
        IF (f.value ? 'scale' OR f.value ? 'offset') AND (f.value->>'type' <> 'number'
                OR jsonb_typeof(coalesce(f.value->'scale', '1')) <> 'number'
                OR jsonb_typeof(coalesce(f.value->'offset', '0')) <> 'number') THEN
            RAISE EXCEPTION 'mapping rule: field "%": scale and offset are numbers, for number fields', f.key
                USING ERRCODE = '22023',
                HINT = 'value = raw * scale + offset, e.g. {"type": "number", "scale": 0.1} for tenths.';
        END IF;
        IF (f.value ? 'format' OR f.value ? 'pattern' OR f.value ? 'timezone') AND f.value->>'type' <> 'timestamp' THEN
            RAISE EXCEPTION 'mapping rule: field "%": format, pattern and timezone are for timestamp fields', f.key
                USING ERRCODE = '22023', HINT = 'Remove them, or make the field a timestamp.';
        END IF;
        -- the unit follows the number in the text ("819 ms"), so it cannot start like a number
        IF f.value ? 'unit' AND (f.value->>'type' NOT IN ('number', 'integer') OR jsonb_typeof(f.value->'unit') <> 'string'
                OR f.value->>'unit' !~ '^[^0-9.,+[:space:]-]([^[:space:]]|.*[^[:space:]])?$') THEN
            RAISE EXCEPTION 'mapping rule: field "%": unit is the text after the number, for number and integer fields', f.key
                USING ERRCODE = '22023', DETAIL = format('type = %s, unit = %s', f.value->'type', f.value->'unit'),
                HINT = 'Write the unit as the feed does, e.g. "unit": "ms" for values like "819 ms".';
        END IF;
        IF f.value ? 'trim' AND (f.value->>'type' <> 'text' OR jsonb_typeof(f.value->'trim') <> 'boolean') THEN
            RAISE EXCEPTION 'mapping rule: field "%": trim is true or false, for text fields', f.key USING ERRCODE = '22023',
                HINT = 'trim: true strips leading and trailing white space from the text.';
        END IF;
        IF f.value ? 'required' AND jsonb_typeof(f.value->'required') <> 'boolean' THEN
            RAISE EXCEPTION 'mapping rule: field "%": required is true or false', f.key USING ERRCODE = '22023',
                HINT = 'required: true makes an item without this field fail.';
        END IF;
    END LOOP;
    -- one check for every way a timestamp is read: the rule's timestamp and timestamp fields
    FOR t IN SELECT 'timestamp' AS what, rule->'timestamp' AS spec WHERE rule ? 'timestamp'
             UNION ALL
             SELECT format('field "%s"', key), value FROM jsonb_each(coalesce(rule->'fields', '{}'))
              WHERE value->>'type' = 'timestamp' LOOP
        ts_format := coalesce(t.spec->>'format', 'iso8601');
        IF ts_format NOT IN ('iso8601', 'epoch_s', 'epoch_ms', 'pattern') THEN
            RAISE EXCEPTION 'mapping rule: %: unknown format "%"', t.what, ts_format USING ERRCODE = '22023',
                HINT = 'Use iso8601, epoch_s, epoch_ms or pattern (with "pattern": e.g. "dd/MM/yyyy HH:mm").';
        END IF;
        IF (ts_format = 'pattern') <> (t.spec ? 'pattern') THEN
            RAISE EXCEPTION 'mapping rule: %: "pattern" goes with "format": "pattern"', t.what USING ERRCODE = '22023',
                HINT = 'Write e.g. {"format": "pattern", "pattern": "dd/MM/yyyy HH:mm"}.';
        END IF;
        IF ts_format = 'pattern' THEN
            -- Patterns are java.time's; this allow-list of letter runs is a subset that java.time
            -- accepts (TimeFormatTest checks each run). Text in single quotes is literal.
            letters := regexp_replace(coalesce(t.spec->>'pattern', ''), '''[^'']*''', '', 'g');
            IF jsonb_typeof(t.spec->'pattern') <> 'string' OR letters ~ '[^A-Za-z /:.,_-]' THEN
                RAISE EXCEPTION 'mapping rule: %: pattern has a character it does not allow', t.what USING ERRCODE = '22023',
                    DETAIL = format('pattern = %s', t.spec->'pattern'),
                    HINT = 'Use pattern letters, space and - / : . , _; put other literal text in single quotes, e.g. ''T''.';
            END IF;
            FOR run IN SELECT m[1] FROM regexp_matches(letters, '(([A-Za-z])\2*)', 'g') AS m LOOP
                IF run NOT IN ('yyyy', 'yy', 'uuuu', 'MMMM', 'MMM', 'MM', 'M', 'dd', 'd', 'HH', 'H', 'hh', 'h', 'mm', 'm',
                        'ss', 's', 'a', 'EEE', 'EEEE', 'XXX', 'XX', 'X', 'xxx', 'xx', 'x', 'Z', 'VV')
                        AND run !~ '^S{1,9}$' THEN
                    RAISE EXCEPTION 'mapping rule: %: pattern letters "%" are not allowed', t.what, run USING ERRCODE = '22023',
                        DETAIL = format('pattern = %s', t.spec->'pattern'),
                        HINT = 'Use yyyy yy uuuu M MM MMM MMMM d dd H HH h hh a m mm s ss S..SSSSSSSSS EEE EEEE'
                            ' X XX XXX x xx xxx Z VV; quote literal letters, e.g. ''T''.';
                END IF;
            END LOOP;
            IF letters !~ '[yu]' OR letters !~ 'M' OR letters !~ 'd' OR (letters ~ 'h') <> (letters ~ 'a') THEN
                RAISE EXCEPTION 'mapping rule: %: pattern lacks a part of the date or time', t.what USING ERRCODE = '22023',
                    DETAIL = format('pattern = %s', t.spec->'pattern'),
                    HINT = 'A pattern has a year (yyyy), a month (MM) and a day (dd); h (1-12) goes with a (AM/PM), HH (0-23) without.';
            END IF;
        END IF;
        IF t.spec ? 'timezone' THEN
            IF ts_format NOT IN ('iso8601', 'pattern') THEN
                RAISE EXCEPTION 'mapping rule: %: timezone is for iso8601 and pattern times', t.what USING ERRCODE = '22023',
                    DETAIL = format('format = %s', ts_format),
                    HINT = 'Epoch values are absolute: remove timezone.';
            END IF;
            BEGIN
                -- IANA names only: PostgreSQL also takes abbreviations and POSIX strings that java.time does not
                IF coalesce(t.spec->>'timezone', '') !~ '^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$' THEN
                    RAISE EXCEPTION USING ERRCODE = '22023';
                END IF;
                PERFORM timestamp '2000-01-01' AT TIME ZONE (t.spec->>'timezone');
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE EXCEPTION 'mapping rule: %: unknown time zone', t.what USING ERRCODE = '22023',
                    DETAIL = format('timezone = %s', t.spec->'timezone'),
                    HINT = 'Use an IANA time zone name such as "Europe/Paris" or "UTC"; it applies to times written without an offset.';
            END;
        END IF;
    END LOOP;
END
$fn$;
