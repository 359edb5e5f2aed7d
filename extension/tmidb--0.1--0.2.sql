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
        -- the default index TimescaleDB made beside the 0.1 key; the new key serves its queries
        DROP INDEX IF EXISTS tmi.ts_obs_target_id_ts_idx;
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
    -- most readings are new: a plain existence check costs a fraction of the locking read below
    IF NOT EXISTS (SELECT 1 FROM tmi.ts_obs o
                    WHERE o.target_id OPERATOR(pg_catalog.=) NEW.target_id AND o.ts OPERATOR(pg_catalog.=) NEW.ts) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO stored FROM tmi.ts_obs o
     WHERE o.target_id OPERATOR(pg_catalog.=) NEW.target_id AND o.ts OPERATOR(pg_catalog.=) NEW.ts FOR UPDATE;
    IF NOT FOUND THEN  -- deleted meanwhile
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
-- a writer that has merged its readings with the stored ones itself, in one statement (the mapping
-- pipeline), sets tmi.readings_merged to skip the check for that statement: the key (target_id, ts)
-- still refuses a second row, so a writer that sets it wrongly gets an error, never a duplicate
CREATE TRIGGER ts_obs_once BEFORE INSERT ON tmi.ts_obs FOR EACH ROW
    WHEN (pg_catalog.current_setting('tmi.readings_merged', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION tmi.obs_once();

CREATE FUNCTION tmi.position_once()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    stored tmi.geo_trace;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tmi.geo_trace g
                    WHERE g.target_id OPERATOR(pg_catalog.=) NEW.target_id AND g.ts OPERATOR(pg_catalog.=) NEW.ts) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO stored FROM tmi.geo_trace g
     WHERE g.target_id OPERATOR(pg_catalog.=) NEW.target_id AND g.ts OPERATOR(pg_catalog.=) NEW.ts FOR UPDATE;
    IF NOT FOUND THEN  -- deleted meanwhile
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
CREATE TRIGGER geo_trace_once BEFORE INSERT ON tmi.geo_trace FOR EACH ROW
    WHEN (pg_catalog.current_setting('tmi.readings_merged', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION tmi.position_once();

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
-- Alarms and schema after mistakes: a new alarm rule evaluates each target's
-- latest reading (evaluate_existing), clear_at is inclusive, tmi.retype gives a
-- field a type again.
-------------------------------------------------------------------------------
-- hands queued alarm evaluations to the stored logic: at once on the PL/Java host, by waking
-- the worker otherwise
CREATE FUNCTION tmi.wake_alarms(ids text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF ids IS NULL THEN
        RETURN;
    ELSIF tmi.host() = 'pljava' THEN
        PERFORM tmi.j_evaluate_alarms(ids);
    ELSE
        PERFORM pg_notify('tmi_work', 'alarm');
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.wake_alarms(text) IS 'Evaluates the queued alarm_pending rows ids (''{1,2}'') on the current host';

CREATE OR REPLACE FUNCTION tmi.obs_inserted()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    ids text;
BEGIN
    PERFORM tmi.queue_attributes(
        (SELECT jsonb_agg(jsonb_build_object('kind', t.kind, 'scope', 'observation', 'attr', f.attr, 'jtype', f.jtype))
           FROM (SELECT DISTINCT n.target_id, e.key AS attr, jsonb_typeof(e.value) AS jtype
                   FROM new_rows n, jsonb_each(n.payload) e) f
           JOIN tmi.target t USING (target_id)));
    IF EXISTS (SELECT 1 FROM tmi.alarm_rule WHERE enabled) THEN
        WITH queued AS (
            INSERT INTO tmi.alarm_pending (target_id, ts, obs_id, payload)
            SELECT n.target_id, n.ts, n.obs_id, n.payload
              FROM new_rows n JOIN tmi.target t USING (target_id)
             WHERE EXISTS (SELECT 1 FROM tmi.alarm_rule r
                            WHERE r.enabled AND (r.scope_target = n.target_id OR r.scope_kind = t.kind)
                              AND n.payload ? r.field)
            RETURNING pending_id)
        SELECT array_agg(pending_id ORDER BY pending_id)::text INTO ids FROM queued;
        PERFORM tmi.wake_alarms(ids);
    END IF;
    RETURN NULL;
END
$fn$;

DROP FUNCTION tmi.add_alarm(text, text, text, double precision, double precision, interval, text);
CREATE FUNCTION tmi.add_alarm(scope text, field text, op text, threshold double precision,
                              clear_at double precision DEFAULT NULL, for_duration interval DEFAULT '0',
                              severity text DEFAULT 'warning', evaluate_existing boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    target uuid;
    id bigint;
    ids text;
BEGIN
    PERFORM tmi.require(scope, 'scope', 'Pass a kind (e.g. ''pump'') or a target id.');
    PERFORM tmi.require(field, 'field', 'Name the observation field to watch, e.g. ''temperature''.');
    PERFORM tmi.require(op, 'op', 'Pass one of >, >=, <, <=, =, <>.');
    PERFORM tmi.require(threshold, 'threshold', 'Pass the value the field is compared with.');
    PERFORM tmi.require(for_duration, 'for_duration', 'Pass ''0'' to raise at once, or how long the condition must hold.');
    IF scope ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        target := scope::uuid;
        IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = target) THEN
            RAISE EXCEPTION 'target % does not exist', scope USING ERRCODE = '42704',
                HINT = 'Pass the id of an existing target, or a kind.';
        END IF;
    ELSIF scope !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'scope "%" is neither a kind nor a target id', scope USING ERRCODE = '22023',
            HINT = 'Pass a kind (lower-case identifier, e.g. ''pump'') or a target''s uuid.';
    END IF;
    IF op NOT IN ('>', '>=', '<', '<=', '=', '<>') THEN
        RAISE EXCEPTION 'unknown operator "%"', op USING ERRCODE = '22023', HINT = 'Use one of >, >=, <, <=, =, <>.';
    END IF;
    IF threshold = 'NaN' OR threshold IN ('Infinity', '-Infinity') OR clear_at = 'NaN' OR clear_at IN ('Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'threshold and clear_at must be finite numbers' USING ERRCODE = '22023',
            HINT = 'Pass ordinary numbers.';
    END IF;
    -- clear_at is inclusive (a reading at clear_at clears), so it may equal a strict threshold only
    IF clear_at IS NOT NULL AND (op IN ('=', '<>')
            OR op = '>' AND clear_at > threshold OR op = '>=' AND clear_at >= threshold
            OR op = '<' AND clear_at < threshold OR op = '<=' AND clear_at <= threshold) THEN
        RAISE EXCEPTION 'clear_at % does not give hysteresis for % %', clear_at, op, threshold USING ERRCODE = '22023',
            DETAIL = 'An alarm clears at readings at or past clear_at: for "> t" clear_at <= t, for ">= t" clear_at < t;'
                     ' for "< t" clear_at >= t, for "<= t" clear_at > t.',
            HINT = 'Pass a clear_at on the safe side of the threshold, or NULL to clear as soon as the condition fails.';
    END IF;
    IF evaluate_existing IS NULL THEN
        RAISE EXCEPTION 'evaluate_existing must be true or false' USING ERRCODE = '22004',
            HINT = 'Pass true to evaluate each target''s latest reading now, false to wait for new readings.';
    END IF;
    IF for_duration < interval '0' THEN
        RAISE EXCEPTION 'for_duration must not be negative' USING ERRCODE = '22023',
            DETAIL = format('for_duration = %s', for_duration), HINT = 'Pass ''0'' to raise at once.';
    END IF;
    IF severity IS NULL OR severity NOT IN ('info', 'warning', 'critical') THEN
        RAISE EXCEPTION 'unknown severity "%"', severity USING ERRCODE = '22023', HINT = 'Use info, warning or critical.';
    END IF;
    INSERT INTO tmi.alarm_rule (scope_kind, scope_target, field, op, threshold, clear_at, for_duration, severity)
    VALUES (CASE WHEN target IS NULL THEN scope END, target, field, op, threshold, clear_at, for_duration, severity)
    RETURNING rule_id INTO id;
    IF evaluate_existing THEN
        -- each target's latest reading of the field, as if it had just arrived
        WITH queued AS (
            INSERT INTO tmi.alarm_pending (target_id, ts, obs_id, payload)
            SELECT l.target_id, l.ts, l.obs_id, l.payload
              FROM tmi.target t
             CROSS JOIN LATERAL (SELECT o.target_id, o.ts, o.obs_id, o.payload FROM tmi.ts_obs o
                                  WHERE o.target_id = t.target_id AND o.payload ? add_alarm.field
                                  ORDER BY o.ts DESC LIMIT 1) l
             WHERE CASE WHEN target IS NULL THEN t.kind = scope ELSE t.target_id = target END
            RETURNING pending_id)
        SELECT array_agg(pending_id ORDER BY pending_id)::text INTO ids FROM queued;
        PERFORM tmi.wake_alarms(ids);
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_alarm(text, text, text, double precision, double precision, interval, text, boolean) IS
    'Watches an observation field of a kind or target: raises when "field op threshold" holds for for_duration, clears at'
    ' readings at or past clear_at; evaluate_existing (default true) evaluates each target''s latest reading at once';

ALTER TABLE tmi.schema_pending ADD COLUMN retype boolean NOT NULL DEFAULT false;

CREATE FUNCTION tmi.retype(kind text, field text, type text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    scopes text[];
    wrong bigint;
    example jsonb;
    ids text;
BEGIN
    PERFORM tmi.require(kind, 'kind', 'Name a kind, e.g. ''air_sensor''.');
    PERFORM tmi.require(field, 'field', 'Name the attribute or observation field to retype.');
    PERFORM tmi.require(type, 'type', 'Pass number, string, boolean, object or array.');
    IF type NOT IN ('number', 'string', 'boolean', 'object', 'array') THEN
        RAISE EXCEPTION 'unknown type "%"', type USING ERRCODE = '22023',
            HINT = 'Pass number, string, boolean, object or array (JSON types, as tmi.schema_history shows them).';
    END IF;
    SELECT array_agg(a.scope ORDER BY a.scope) INTO scopes FROM tmi.kind_attr a WHERE a.kind = kind AND a.attr = field;
    IF scopes IS NULL THEN
        RAISE EXCEPTION 'kind "%" has no field "%"', kind, field USING ERRCODE = '42704',
            HINT = 'See the fields of the kind''s latest version: SELECT attrs FROM tmi.schema_history(kind) ORDER BY version DESC LIMIT 1.';
    END IF;
    -- every stored value must already be of the type (JSON null aside)
    SELECT count(*), (array_agg(v))[1] INTO wrong, example FROM (
        SELECT o.payload -> field AS v FROM tmi.ts_obs o JOIN tmi.target t ON t.target_id = o.target_id
         WHERE 'observation' = ANY (scopes) AND t.kind = kind AND o.payload ? field
        UNION ALL
        SELECT t.meta -> field FROM tmi.target t WHERE 'attribute' = ANY (scopes) AND t.kind = kind AND t.meta ? field
    ) s WHERE jsonb_typeof(v) NOT IN (type, 'null');
    IF wrong > 0 THEN
        RAISE EXCEPTION '% stored values of %.% are not of type %', wrong, kind, field, type USING ERRCODE = '22023',
            DETAIL = format('For example: %s', example),
            HINT = 'Correct them first (an UPDATE of ts_obs.payload or target.meta, or tmi.remap after fixing the rule), then retype.';
    END IF;
    WITH q AS (
        INSERT INTO tmi.schema_pending AS p (batch, kind, scope, attr, jtype, retype)
        SELECT nextval('tmi.schema_batch_seq'), kind, sc, field, type, true
          FROM unnest(scopes) sc
         WHERE NOT EXISTS (SELECT 1 FROM tmi.kind_attr a WHERE a.kind = kind AND a.scope = sc AND a.attr = field AND a.jtype = type)
        ON CONFLICT ON CONSTRAINT schema_pending_kind_scope_attr_jtype_key DO UPDATE SET retype = true
        RETURNING p.pending_id)
    SELECT array_agg(pending_id ORDER BY pending_id)::text INTO ids FROM q;
    IF ids IS NULL THEN
        RAISE NOTICE '%.% is of type % already', kind, field, type;
    ELSIF tmi.host() = 'pljava' THEN
        PERFORM tmi.j_apply_schema(ids);
    ELSE
        PERFORM pg_notify('tmi_work', 'schema');
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.retype(text, text, text) IS
    'Gives a field of a kind (e.g. one that became mixed through a rule mistake) a type again, in a new schema version, once every stored value has it';

REVOKE ALL ON FUNCTION tmi.wake_alarms(text),
    tmi.add_alarm(text, text, text, double precision, double precision, interval, text, boolean),
    tmi.retype(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.wake_alarms(text),
    tmi.add_alarm(text, text, text, double precision, double precision, interval, text, boolean),
    tmi.retype(text, text, text) TO tmi_admin;

-------------------------------------------------------------------------------
-- Readings outside the weekly partitions: moved out of the default partition
-- as they arrive, and tmi.status() says how.
-------------------------------------------------------------------------------
-- Readings older (or newer) than the weekly partitions land in the default partition, where they
-- are not pruned well; tmidb-worker listens on tmi_partitions and runs tmi.maintain_partitions()
-- as soon as one arrives, which moves them into partitions of their own. A row trigger, since the
-- statement triggers of a partition do not fire for inserts through its parent; NOTIFY folds the
-- repeats of one transaction into one.
CREATE FUNCTION tmi.default_partition_used()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM pg_notify('tmi_partitions', '');
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.default_partition_used() IS 'Wakes tmidb-worker to move readings out of the default partition of ts_obs';

DO $default_partition$
BEGIN
    IF tmi.storage_mode() = 'native' THEN
        CREATE TRIGGER ts_obs_default_used AFTER INSERT ON tmi.ts_obs_default
            FOR EACH ROW EXECUTE FUNCTION tmi.default_partition_used();
    END IF;
END
$default_partition$;

CREATE OR REPLACE FUNCTION tmi.status()
RETURNS TABLE (subsystem text, state text, detail text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    parked bigint;
    held bigint;
    held_since timestamptz;
    unnumbered bigint;
    holder record;
BEGIN
    RETURN QUERY SELECT 'extension', 'ok', 'tmidb ' || extversion FROM pg_extension WHERE extname = 'tmidb';

    IF tmi.storage_mode() = 'timescaledb' THEN
        RETURN QUERY SELECT 'storage', 'ok', 'ts_obs is a TimescaleDB hypertable';
    ELSE
        -- rows in the default partition are not pruned well until maintain_partitions() moves them
        EXECUTE 'SELECT count(*) FROM tmi.ts_obs_default' INTO parked;
        RETURN QUERY
        SELECT 'storage', CASE WHEN parked > 0 THEN 'attention' ELSE 'ok' END,
               format('ts_obs has %s native partitions; %s rows in the default partition%s',
                      count(*) - 1, parked,
                      CASE WHEN parked > 0 THEN ': SELECT tmi.maintain_partitions() moves them into partitions of'
                                                ' their own (tmidb-worker does so as they arrive)' ELSE '' END)
          FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass;
    END IF;

    RETURN QUERY
    SELECT 'geo', 'ok', string_agg(extname || ' ' || extversion, ', ' ORDER BY extname)
      FROM pg_extension WHERE extname IN ('cube', 'earthdistance');

    RETURN QUERY
    SELECT 'raw_bucket', CASE WHEN count(*) FILTER (WHERE r.status = 'failed') > 0 THEN 'attention' ELSE 'ok' END,
           format('%s pending, %s failed', count(*) FILTER (WHERE r.status = 'pending'),
                  count(*) FILTER (WHERE r.status = 'failed'))
      FROM tmi.raw_bucket r WHERE r.status IN ('pending', 'failed');

    RETURN QUERY
    SELECT 'connectors', CASE WHEN count(*) FILTER (WHERE c.consecutive_failures > 0) > 0 THEN 'attention' ELSE 'ok' END,
           format('%s enabled, %s failing', count(*), count(*) FILTER (WHERE c.consecutive_failures > 0))
      FROM tmi.ingest_connector c WHERE c.enabled;

    -- committed events wait to be numbered while an older transaction runs (see tmi.sequence_events)
    SELECT count(*) FILTER (WHERE e.xid >= pg_snapshot_xmin(pg_current_snapshot())),
           min(e.ts) FILTER (WHERE e.xid >= pg_snapshot_xmin(pg_current_snapshot())), count(*)
      INTO held, held_since, unnumbered
      FROM tmi.event_log e WHERE e.event_id IS NULL;
    IF held = 0 THEN
        RETURN QUERY
        SELECT 'events', 'ok', format('%s numbered, %s to number', coalesce(max(e.event_id), 0), unnumbered)
          FROM tmi.event_log e;
    ELSE
        SELECT a.pid, a.datname, a.application_name, a.state, a.xact_start INTO holder
          FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL
         ORDER BY age(a.backend_xid) DESC LIMIT 1;
        RETURN QUERY
        SELECT 'events', CASE WHEN coalesce(holder.xact_start, held_since) < now() - interval '60 seconds'
                              THEN 'attention' ELSE 'ok' END,
               format('%s committed events wait for an older transaction to end: %s', held,
                      CASE WHEN holder.pid IS NULL
                           THEN 'a prepared one or one this role may not see (pg_stat_activity)'
                           ELSE format('pid %s in database %s (%s), %s for %s s', holder.pid, holder.datname,
                                       coalesce(nullif(holder.application_name, ''), 'no application_name'), holder.state,
                                       round(extract(epoch FROM now() - holder.xact_start)::numeric, 1)) END);
    END IF;

    RETURN QUERY
    SELECT 'relay', CASE WHEN sum(c.forged_messages) > 0 THEN 'alarm'
                         WHEN max(r.seconds_behind) > 60 THEN 'attention' ELSE 'ok' END,
           CASE WHEN count(*) = 0 THEN 'no relay has run (tmidb-worker relays events to NATS JetStream)'
                ELSE string_agg(format('%s: %s events, %s s behind', r.name, r.events_behind,
                                       round(r.seconds_behind::numeric, 1))
                                || CASE WHEN c.forged_messages > 0
                                        THEN format(', %s forged messages in its stream, the last in place of event %s'
                                                    ' at %s (%s): let only the relay''s NATS user publish',
                                                    c.forged_messages, c.last_forged_event_id, c.last_forged_at,
                                                    c.last_forged_detail)
                                        ELSE '' END, '; ' ORDER BY r.name) END
      FROM tmi.relay_status() r JOIN tmi.relay_cursor c ON c.name = r.name;

    RETURN QUERY
    SELECT 'retention', 'ok',
           CASE WHEN count(*) = 0 THEN 'no retention set: everything is kept'
                ELSE string_agg(format('%s %s', CASE r.kind WHEN '*' THEN 'default' ELSE r.kind END, r.keep), ', '
                                ORDER BY r.kind = '*', r.kind) END
           || coalesce((SELECT format('; last applied %s: %s partitions dropped, %s observations and %s positions deleted',
                                      a.applied_at, a.partitions_dropped, a.observations, a.positions)
                          FROM tmi.retention_applied a), '')
      FROM tmi.retention r;

    RETURN QUERY SELECT * FROM tmi.file_status();
END
$fn$;

REVOKE ALL ON FUNCTION tmi.default_partition_used() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.default_partition_used() TO tmi_admin;

-------------------------------------------------------------------------------
-- Observations and targets over REST: POST /<kind>_obs goes through
-- tmi.observe, POST /<kind> upserts by ext_key; speakers can tmi.ingest.
-------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION tmi.api_target_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    kind text := TG_ARGV[0];
    renamed jsonb := TG_ARGV[1]::jsonb;
    doc jsonb;
    attrs jsonb := '{}';
    col text;
    val jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM tmi.target t WHERE t.target_id = OLD.target_id;
        RETURN OLD;
    END IF;
    doc := to_jsonb(NEW) - ARRAY['target_id', 'name', 'ext_key', 'created_at', 'updated_at'];
    FOR col, val IN SELECT key, value FROM jsonb_each(doc) LOOP
        IF jsonb_typeof(val) <> 'null' THEN
            attrs := attrs || jsonb_build_object(coalesce(renamed->>col, col), val);
        END IF;
    END LOOP;
    IF TG_OP = 'INSERT' THEN
        -- by ext_key, as tmi.add_target: a known key updates the target (attributes merge; the name
        -- changes only when given); a new one is named by its key unless a name is given
        INSERT INTO tmi.target AS t (name, kind, ext_key, meta) VALUES (coalesce(NEW.name, NEW.ext_key), kind, NEW.ext_key, attrs)
        ON CONFLICT ON CONSTRAINT target_kind_ext_key_key DO UPDATE
           SET name = coalesce(NEW.name, t.name), meta = t.meta || EXCLUDED.meta, updated_at = now()
        RETURNING t.target_id, t.name, t.created_at, t.updated_at INTO NEW.target_id, NEW.name, NEW.created_at, NEW.updated_at;
    ELSE
        UPDATE tmi.target t SET name = NEW.name, ext_key = NEW.ext_key, meta = t.meta || attrs, updated_at = now()
         WHERE t.target_id = OLD.target_id
        RETURNING t.updated_at INTO NEW.updated_at;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION tmi.api_target_write() IS
    'Writes to api_vN.<kind> views go to tmi.target: attributes into meta; an insert of a known ext_key updates that target';

-- Observations written through api_vN.<kind>_obs take the front door, tmi.observe: the same
-- validation, events, alarms and once-per-target-and-time rule. The target is named by target_id
-- or ext_key; lat/lon give a position. Columns are read from the row as JSON, so views made by
-- earlier versions (without ext_key, lat, lon) work too.
CREATE FUNCTION tmi.api_obs_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    kind text := TG_ARGV[0];
    renamed jsonb := TG_ARGV[1]::jsonb;
    row_doc jsonb := to_jsonb(NEW);
    target uuid := (row_doc->>'target_id')::uuid;
    payload jsonb := '{}';
    actual text;
    col text;
    val jsonb;
BEGIN
    IF target IS NULL AND row_doc->>'ext_key' IS NULL THEN
        RAISE EXCEPTION 'an observation needs its target' USING ERRCODE = '22004',
            HINT = 'Give target_id, or ext_key (the target''s key within its kind).';
    ELSIF target IS NULL THEN
        target := tmi.target_id(kind, row_doc->>'ext_key');
    ELSE
        SELECT t.kind INTO actual FROM tmi.target t WHERE t.target_id = target;
        IF actual IS DISTINCT FROM kind THEN
            RAISE EXCEPTION 'target % is not a %', target, kind USING ERRCODE = '42704',
                DETAIL = pg_catalog.format('Its kind is %s.', coalesce(actual, 'unknown: no such target')),
                HINT = 'Write a target''s observations through the resource of its kind, /<kind>_obs.';
        END IF;
    END IF;
    FOR col, val IN SELECT e.key, e.value FROM jsonb_each(row_doc - ARRAY['obs_id', 'target_id', 'ext_key', 'ts', 'lat', 'lon']) e LOOP
        IF jsonb_typeof(val) <> 'null' THEN
            payload := payload || jsonb_build_object(coalesce(renamed->>col, col), val);
        END IF;
    END LOOP;
    NEW.obs_id := tmi.observe(target, coalesce((row_doc->>'ts')::timestamptz, now()), payload,
                              (row_doc->>'lat')::double precision, (row_doc->>'lon')::double precision);
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION tmi.api_obs_write() IS 'Inserts into api_vN.<kind>_obs views go through tmi.observe';

-- the observation views of versions made by 0.1 take writes too
DO $obs_views$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT c.oid::regclass AS view, substring(pg_catalog.obj_description(c.oid, 'pg_class') FROM '^kind (\S+),') AS kind
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname ~ '^api_v[0-9]+$' AND c.relkind = 'v' AND c.relname LIKE '%\_obs'
                AND pg_catalog.obj_description(c.oid, 'pg_class') LIKE 'kind %, schema version %' LOOP
        CONTINUE WHEN v.kind IS NULL OR v.view::text <> (pg_catalog.split_part(v.view::text, '.', 1) || '.' || pg_catalog.quote_ident(v.kind || '_obs'));
        EXECUTE pg_catalog.format('CREATE TRIGGER api_write INSTEAD OF INSERT ON %s FOR EACH ROW'
                                  ' EXECUTE FUNCTION tmi.api_obs_write(%L, %L)', v.view, v.kind, '{}');
        EXECUTE pg_catalog.format('GRANT INSERT ON %s TO tmi_speaker', v.view);
    END LOOP;
END
$obs_views$;

REVOKE ALL ON FUNCTION tmi.api_obs_write() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.api_obs_write() TO tmi_admin, tmi_speaker;
GRANT SELECT (connector_id, name) ON tmi.ingest_connector TO tmi_speaker;

-------------------------------------------------------------------------------
-- Every function granted to a role works for it: tmi.host() and
-- tmi.schema_history() run as their owner; tmi.listener_id() is for the
-- listener functions only (granted, it would tell anyone which names exist).
-------------------------------------------------------------------------------
-- as its owner: speakers and listeners may ask, not read tmi.config
CREATE OR REPLACE FUNCTION tmi.host()
RETURNS text
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT value FROM tmi.config WHERE key = 'host';
END;

-- as its owner: speakers and listeners may read the versions, not tmi.model_versions
CREATE OR REPLACE FUNCTION tmi.schema_history(kind text)
RETURNS TABLE (version integer, change text, diff jsonb, attrs jsonb, created_at timestamptz)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM tmi.require(kind, 'kind', 'Name a kind, e.g. ''bike''.');
    IF NOT EXISTS (SELECT 1 FROM tmi.model_versions m WHERE m.kind = schema_history.kind) THEN
        RAISE EXCEPTION 'kind "%" has no schema versions', kind USING ERRCODE = '42704',
            HINT = 'Versions appear once targets of the kind are written; see SELECT DISTINCT kind FROM tmi.model_versions.';
    END IF;
    RETURN QUERY SELECT m.version, m.change, m.diff, m.attrs, m.created_at
                   FROM tmi.model_versions m WHERE m.kind = schema_history.kind ORDER BY m.version;
END
$fn$;

REVOKE EXECUTE ON FUNCTION tmi.listener_id(text) FROM tmi_listener, tmi_anon;

-------------------------------------------------------------------------------
-- What a listener sees: one rule, defined here only. A listener's subscriptions
-- become a scope (tmi.listener_scope); tmi.scope_sees and tmi.scope_fields
-- decide for a target of a kind (its current kind). Everything else derives from
-- these: row-level security (tmi.listener_sees), tmi.fields_of, the api_vN views
-- (tmi.caller_scope, tmi.scope_only) and the WebSocket stream (tmi.events_seen).
-------------------------------------------------------------------------------
-- A listener's subscriptions, {"kinds": {kind: fields}, "targets": {id: fields}}, fields being
-- an array, or null for all of them; {} for each when there is no such listener (nothing).
CREATE FUNCTION tmi.listener_scope(listener_name text)
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'kinds', coalesce((SELECT jsonb_object_agg(k.kind, k.fields) FROM (
                   SELECT s.kind, CASE WHEN bool_or(s.fields IS NULL) THEN NULL
                                       ELSE coalesce(jsonb_agg(DISTINCT f.name) FILTER (WHERE f.name IS NOT NULL), '[]') END AS fields
                     FROM tmi.listener l JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
                     LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
                    WHERE l.name = listener_scope.listener_name AND s.kind IS NOT NULL
                    GROUP BY s.kind) k), '{}'),
               'targets', coalesce((SELECT jsonb_object_agg(g.target_id, g.fields) FROM (
                   SELECT s.target_id, CASE WHEN bool_or(s.fields IS NULL) THEN NULL
                                            ELSE coalesce(jsonb_agg(DISTINCT f.name) FILTER (WHERE f.name IS NOT NULL), '[]') END AS fields
                     FROM tmi.listener l JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
                     LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
                    WHERE l.name = listener_scope.listener_name AND s.target_id IS NOT NULL
                    GROUP BY s.target_id) g), '{}'));
END;
COMMENT ON FUNCTION tmi.listener_scope(text) IS
    'What a listener may read: its subscribed kinds and targets with their fields (the rule tmi.scope_sees and tmi.scope_fields apply)';

-- per row, from a scope worked out once: cheap enough to inline
CREATE FUNCTION tmi.scope_sees(scope jsonb, kind text, target uuid)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    -- false, not NULL, for a kind or target absent from the scope (or from the event)
    SELECT scope IS NULL OR coalesce((scope -> 'kinds') ? kind, false) OR coalesce((scope -> 'targets') ? target::text, false);
END;
COMMENT ON FUNCTION tmi.scope_sees(jsonb, text, uuid) IS 'Whether a caller with this scope (tmi.caller_scope) sees a target';

-- the union of the fields of the kind's and the target's subscriptions; NULL when one allows all
CREATE FUNCTION tmi.scope_fields(scope jsonb, kind text, target uuid)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN scope IS NULL THEN NULL
                WHEN NOT tmi.scope_sees(scope, kind, target) THEN '{}'::text[]
                WHEN scope -> 'kinds' -> kind = 'null' OR scope -> 'targets' -> target::text = 'null' THEN NULL
                ELSE ARRAY(SELECT DISTINCT f.name FROM jsonb_array_elements_text(
                         coalesce(scope -> 'kinds' -> kind, '[]') || coalesce(scope -> 'targets' -> target::text, '[]')) AS f(name)
                         ORDER BY f.name)
           END;
END;
COMMENT ON FUNCTION tmi.scope_fields(jsonb, text, uuid) IS
    'The fields of a target a caller with this scope may read: NULL for all of them, none when it does not see the target';

CREATE FUNCTION tmi.scope_only(scope jsonb, kind text, target uuid, doc jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN tmi.scope_sees(scope, kind, target) THEN tmi.only_fields(doc, tmi.scope_fields(scope, kind, target)) END;
END;
COMMENT ON FUNCTION tmi.scope_only(jsonb, text, uuid, jsonb) IS
    'The fields of doc (a target''s attributes or an observation) that a caller with this scope may read, NULL when it sees none';

-- What the caller may read, worked out once per statement by the api_vN views (tmi.visible_meta
-- and tmi.visible_payload answer the same per row): NULL for speakers and admins (everything);
-- otherwise the scope of the request's listener (nothing for a caller who is no listener).
CREATE FUNCTION tmi.caller_scope()
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT CASE WHEN tmi.caller_is_speaker() THEN NULL ELSE tmi.listener_scope(tmi.current_listener()) END;
END;
COMMENT ON FUNCTION tmi.caller_scope() IS
    'What the caller may read: NULL (all) for speakers and admins, else its listener''s subscribed kinds and targets with their fields';

-- row-level security's question, per row: the same rule for the target's current kind
CREATE OR REPLACE FUNCTION tmi.listener_sees(target uuid)
RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT coalesce((SELECT tmi.scope_sees(tmi.listener_scope(tmi.current_listener()), t.kind, t.target_id)
                       FROM tmi.target t WHERE t.target_id = listener_sees.target), false);
END;
COMMENT ON FUNCTION tmi.listener_sees(uuid) IS
    'Whether the request''s listener is subscribed to the target (itself or its kind)';

CREATE OR REPLACE FUNCTION tmi.fields_of(listener_name text, target uuid)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    -- NULL: every field; otherwise the union of the subscriptions' fields (none when not subscribed)
    SELECT CASE WHEN t.target_id IS NULL THEN '{}'::text[]
                ELSE tmi.scope_fields(tmi.listener_scope(fields_of.listener_name), t.kind, t.target_id) END
      FROM (SELECT fields_of.target AS id) AS asked
      LEFT JOIN tmi.target t ON t.target_id = asked.id;
END;
COMMENT ON FUNCTION tmi.fields_of(text, uuid) IS
    'Fields of the target the listener is subscribed to: NULL for all of them, none when not subscribed';

-- An event's payload narrowed to fields (NULL: all of them): meta of target events and each
-- reading (payload, and previous of a correction) of observation events; an alarm keeps its value
-- only for readers of all fields, as the value may be of any field. A table of one row, so that a
-- query calling it in FROM gets its body inlined: as a scalar call it would start an executor for
-- every event.
CREATE FUNCTION tmi.event_within(fields text[], event_type text, payload jsonb)
RETURNS TABLE (seen jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN fields IS NULL THEN payload
                WHEN event_type LIKE 'target.%' AND jsonb_typeof(payload -> 'meta') = 'object'
                    THEN jsonb_set(payload, '{meta}', tmi.only_fields(payload -> 'meta', fields))
                WHEN event_type IN ('obs', 'obs.corrected') AND jsonb_typeof(payload -> 'obs') = 'array'
                    THEN jsonb_set(payload, '{obs}', (
                        SELECT coalesce(jsonb_agg((
                                   SELECT jsonb_object_agg(r.key, CASE WHEN r.key IN ('payload', 'previous') AND jsonb_typeof(r.value) = 'object'
                                                                       THEN tmi.only_fields(r.value, fields)
                                                                       ELSE r.value END)
                                     FROM jsonb_each(o.reading) AS r) ORDER BY o.n), '[]')
                          FROM jsonb_array_elements(payload -> 'obs') WITH ORDINALITY AS o(reading, n)))
                WHEN event_type LIKE 'alarm.%' THEN payload - 'value'
                ELSE payload
           END;
END;
COMMENT ON FUNCTION tmi.event_within(text[], text, jsonb) IS
    'The payload of an event narrowed to fields (NULL: all of them); an alarm''s value only for all fields';

-- The events after after_id (tmi.events_since) as readers see them. for_readers is an array of
-- {"scope": <tmi.listener_scope, null: all>, "fields": [..] or null}; the session keeps them (in
-- temporary tables), and a call with NULL reads for the readers the session was given last, so
-- that a reader of the live stream sends and parses them only when they change. One row per event
-- and payload: readers names the readers (their 1-based places in for_readers) that read seen; an
-- event hidden from every reader comes once, with readers '{}' and seen NULL, so that a cursor
-- passes it. What decides is the target's current kind, as for every other read; an event without
-- a target (any more) is decided by its own kind. Who sees a subject (a target and its current
-- kind), and which of its fields, is worked out by tmi.scope_sees and tmi.scope_fields once per
-- subject and reader while the session keeps the same readers, not at every call; readers that
-- may read the same fields (those they may, within those they asked for) share one payload, shaped
-- once per event (what the session works out is kept up to 64 MB, then started again). The cost
-- of a call grows with its events and their distinct payloads, not with the readers.
CREATE FUNCTION tmi.events_seen(after_id bigint, max_events integer, for_readers jsonb)
RETURNS TABLE (event_id bigint, ts timestamptz, event_type text, kind text, target_id uuid, readers integer[], seen text)
LANGUAGE plpgsql
SET search_path = pg_catalog
-- the planner's guesses (a thousand events, every reader) exceed jit_above_cost; compiling would take longer than the read
SET jit = off
AS $fn$
#variable_conflict use_column
BEGIN
    IF for_readers IS NOT NULL THEN
        IF to_regclass('pg_temp.tmi_seen_reader') IS NULL THEN
            CREATE TEMPORARY TABLE tmi_seen_reader (n integer PRIMARY KEY, scope jsonb, fields text[]);
            -- per subject, one row per group of readers that get the same payload; none of them: one row without readers
            CREATE TEMPORARY TABLE tmi_seen_group (subject text NOT NULL, first integer, readers integer[], fields text[]);
            CREATE INDEX ON pg_temp.tmi_seen_group (subject);
        END IF;
        DELETE FROM pg_temp.tmi_seen_group;
        DELETE FROM pg_temp.tmi_seen_reader;
        INSERT INTO pg_temp.tmi_seen_reader (n, scope, fields)
        SELECT x.n, nullif(x.reader -> 'scope', 'null'),
               CASE WHEN jsonb_typeof(x.reader -> 'fields') = 'array'
                    THEN ARRAY(SELECT DISTINCT f.name FROM jsonb_array_elements_text(x.reader -> 'fields') AS f(name) ORDER BY f.name) END
          FROM jsonb_array_elements(for_readers) WITH ORDINALITY AS x(reader, n);
    ELSIF to_regclass('pg_temp.tmi_seen_reader') IS NULL THEN
        RAISE EXCEPTION 'this session has no readers for tmi.events_seen'
            USING ERRCODE = '22023', DETAIL = 'for_readers is NULL and no earlier call of this session gave readers.',
                  HINT = 'Pass the readers (an array of {"scope": ..., "fields": ...}) at least once per session.';
    ELSIF pg_total_relation_size('pg_temp.tmi_seen_group') > 64 * 1024 * 1024 THEN
        -- a session that meets many targets forgets what it worked out about them, and works it out again as it meets them
        TRUNCATE pg_temp.tmi_seen_group;
    END IF;
    RETURN QUERY
    WITH e AS MATERIALIZED (
        SELECT e.event_id, e.ts, e.event_type, e.kind, e.target_id, e.payload, coalesce(t.kind, e.kind) AS seen_kind,
               coalesce(e.target_id::text, '') || '/' || coalesce(t.kind, e.kind, '') AS subject
          FROM tmi.events_since(after_id, max_events) AS e
          LEFT JOIN tmi.target t ON t.target_id = e.target_id),
    s AS MATERIALIZED (SELECT DISTINCT e.subject, e.seen_kind, e.target_id FROM e),
    known AS MATERIALIZED (
        SELECT g.subject, g.first, g.readers, g.fields FROM pg_temp.tmi_seen_group g WHERE g.subject IN (SELECT s.subject FROM s)),
    -- subjects met for the first time with these readers: who sees them, grouped by the fields they get
    fresh AS (
        INSERT INTO pg_temp.tmi_seen_group (subject, first, readers, fields)
        SELECT s.subject, g.first, g.readers, g.fields
          FROM s
          LEFT JOIN LATERAL (
              SELECT min(r.n) AS first, array_agg(r.n ORDER BY r.n) AS readers, w.fields
                FROM pg_temp.tmi_seen_reader r
               CROSS JOIN LATERAL (SELECT tmi.scope_fields(r.scope, s.seen_kind, s.target_id) AS allowed) a
               CROSS JOIN LATERAL (SELECT CASE WHEN a.allowed IS NULL THEN r.fields
                                               WHEN r.fields IS NULL THEN a.allowed
                                               ELSE ARRAY(SELECT f.name FROM unnest(a.allowed) AS f(name)
                                                           WHERE f.name = ANY (r.fields) ORDER BY f.name) END AS fields) w
               WHERE tmi.scope_sees(r.scope, s.seen_kind, s.target_id)
               GROUP BY w.fields) g ON true
         WHERE s.subject NOT IN (SELECT known.subject FROM known)
        RETURNING subject, first, readers, fields),
    g AS (SELECT * FROM known UNION ALL SELECT * FROM fresh)
    SELECT e.event_id, e.ts, e.event_type, e.kind, e.target_id, coalesce(g.readers, '{}'),
           CASE WHEN g.first IS NOT NULL THEN w.seen::text END
      FROM e
      LEFT JOIN g ON g.subject = e.subject
      LEFT JOIN LATERAL tmi.event_within(g.fields, e.event_type, e.payload) AS w ON g.first IS NOT NULL
     ORDER BY e.event_id, g.first;
END
$fn$;
COMMENT ON FUNCTION tmi.events_seen(bigint, integer, jsonb) IS
    'Events after after_id in commit order, each with its payload for the readers (scope and fields) that see it, one row per distinct payload; NULL readers: those the session gave last';

-- the listener's own endpoints (/api/<listener>) by the same rule
CREATE OR REPLACE FUNCTION tmi.listener_targets(listener text)
RETURNS TABLE (target_id uuid, kind text, name text, ext_key text, updated_at timestamptz, meta jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM tmi.listener_id(listener); -- 42704 for an unknown listener
    IF NOT tmi.caller_is_speaker() AND tmi.current_listener() IS DISTINCT FROM listener THEN
        RAISE EXCEPTION 'permission denied for listener "%"', listener USING ERRCODE = '42501',
            DETAIL = pg_catalog.format('The request''s listener claim is %s.', coalesce(tmi.current_listener(), 'absent')),
            HINT = 'Use a token issued for this listener: tmi.issue_token(listener).';
    END IF;
    RETURN QUERY
    -- the rule of tmi.listener_scope, worked out once
    SELECT t.target_id, t.kind, t.name, t.ext_key, t.updated_at, tmi.scope_only(sc.scope, t.kind, t.target_id, t.meta)
      FROM (SELECT tmi.listener_scope(listener_targets.listener) AS scope) sc
     CROSS JOIN tmi.target t
     WHERE tmi.scope_sees(sc.scope, t.kind, t.target_id)
     ORDER BY t.kind, t.name, t.target_id;
END
$fn$;
CREATE OR REPLACE FUNCTION tmi.listener_obs(listener text, kind text, since timestamptz DEFAULT '-infinity', max_rows integer DEFAULT 1000)
RETURNS TABLE (obs_id bigint, target_id uuid, ts timestamptz, payload jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    IF max_rows IS NULL OR max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows must be a positive number' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('max_rows = %s', coalesce(max_rows::text, 'NULL')),
            HINT = 'Pass how many observations to return at most, e.g. 1000.';
    END IF;
    RETURN QUERY
    SELECT o.obs_id, o.target_id, o.ts, tmi.scope_only(sc.scope, t.kind, t.target_id, o.payload)
      FROM (SELECT tmi.listener_scope(listener_obs.listener) AS scope) sc
     CROSS JOIN tmi.listener_targets(listener_obs.listener) t
      JOIN tmi.ts_obs o ON o.target_id = t.target_id
     WHERE t.kind = listener_obs.kind AND o.ts >= coalesce(since, '-infinity')
     ORDER BY o.ts, o.obs_id
     LIMIT max_rows;
END
$fn$;

-- Subscriptions changed: who holds scopes (the gateway's WebSocket side) reloads them at once.
CREATE FUNCTION tmi.notify_listeners()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM pg_catalog.pg_notify('tmi_listeners', '');
    RETURN NULL;
END
$fn$;
CREATE TRIGGER listener_subscription_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tmi.listener_subscription
    FOR EACH STATEMENT EXECUTE FUNCTION tmi.notify_listeners();

REVOKE ALL ON FUNCTION tmi.listener_scope(text), tmi.caller_scope(), tmi.scope_sees(jsonb, text, uuid),
    tmi.scope_fields(jsonb, text, uuid), tmi.scope_only(jsonb, text, uuid, jsonb),
    tmi.event_within(text[], text, jsonb), tmi.events_seen(bigint, integer, jsonb),
    tmi.notify_listeners() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.caller_scope(), tmi.scope_sees(jsonb, text, uuid), tmi.scope_fields(jsonb, text, uuid),
    tmi.scope_only(jsonb, text, uuid, jsonb)
    TO tmi_admin, tmi_listener, tmi_anon;
GRANT EXECUTE ON FUNCTION tmi.listener_scope(text), tmi.event_within(text[], text, jsonb),
    tmi.events_seen(bigint, integer, jsonb), tmi.notify_listeners() TO tmi_admin;
-- (end of: what a listener sees)

-------------------------------------------------------------------------------
-- The front door over REST: /rpc/ingest, observe, near, target_id,
-- events_since, status and series in every api_vN (tmi.install_api_functions),
-- including the versions made by 0.1.
-------------------------------------------------------------------------------
-- A downsampled series: one numeric field of one target averaged per interval (date_bin, so
-- the same on native partitions and on a hypertable), within what the caller may read. Exact:
-- every reading of the range is read (a chart of 1,000,000 readings asks for 1,000 points).
CREATE FUNCTION tmi.series(target uuid, field text, bucket interval,
                           since timestamptz DEFAULT '-infinity', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (ts timestamptz, avg double precision, min double precision, max double precision, n bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    kind text;
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass a target id, e.g. from /<kind>?ext_key=eq.<key>.');
    PERFORM tmi.require(field, 'field', 'Name a numeric observation field, e.g. ''pm10''.');
    PERFORM tmi.require(bucket, 'bucket', 'Pass the width of each point, e.g. ''1 hour''.');
    IF bucket <= interval '0' OR extract(month FROM bucket) <> 0 OR extract(year FROM bucket) <> 0 THEN
        RAISE EXCEPTION 'bucket must be a positive interval of days or less' USING ERRCODE = '22023',
            DETAIL = format('bucket = %s', bucket), HINT = 'Pass e.g. ''5 minutes'', ''1 hour'' or ''7 days''.';
    END IF;
    SELECT t.kind INTO kind FROM tmi.target t WHERE t.target_id = target;
    -- a target or field the caller may not read is answered as if it did not exist
    IF kind IS NULL OR NOT tmi.scope_only(tmi.caller_scope(), kind, target, jsonb_build_object(field, 0)) ? field THEN
        RAISE EXCEPTION 'no field "%" of target % to read', field, target USING ERRCODE = '42704',
            HINT = 'Name a target you may read and one of its numeric fields.';
    END IF;
    -- The field is looked up once a reading, in the innermost subquery, and taken as the numeric
    -- it is stored as (not through text to double precision). OFFSET 0 keeps each subquery's
    -- columns from being copied into every aggregate, which repeated the lookup once per
    -- aggregate; and with no filter on the field's type the planner knows how many readings come
    -- (it expected 0.5 % of them and sorted them all, on disk). Readings without a number in the
    -- field are not counted; a bucket without one is left out.
    RETURN QUERY
    SELECT r.b, avg(r.v)::double precision, min(r.v)::double precision, max(r.v)::double precision, count(r.v)
      FROM (SELECT x.b, CASE WHEN jsonb_typeof(x.j) = 'number' THEN x.j::numeric END AS v
              FROM (SELECT date_bin(bucket, o.ts, timestamptz '2000-01-01 00:00Z') AS b, o.payload -> field AS j
                      FROM tmi.ts_obs o
                     WHERE o.target_id = target AND o.ts >= since AND o.ts < until
                    OFFSET 0) x
            OFFSET 0) r
     GROUP BY 1 HAVING count(r.v) > 0 ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION tmi.series(uuid, text, interval, timestamptz, timestamptz) IS
    'A numeric field of a target averaged per bucket (with min, max and count), for charts of long series';

-- Alarms within what the caller may read: those of targets it sees, with the value only for a
-- caller that may read the alarm's field (as the WebSocket stream sends alarm events).
CREATE FUNCTION tmi.alarms(target uuid DEFAULT NULL, history boolean DEFAULT false)
RETURNS TABLE (alarm_id bigint, target_id uuid, kind text, name text, ext_key text, field text, op text,
               threshold double precision, severity text, state text, value double precision,
               raised_at timestamptz, acked_at timestamptz, cleared_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
    SELECT a.alarm_id, a.target_id, t.kind, t.name, t.ext_key, r.field, r.op, r.threshold, r.severity, a.state,
           CASE WHEN tmi.scope_only(c.scope, t.kind, a.target_id, jsonb_build_object(r.field, 0)) ? r.field THEN a.value END,
           a.raised_at, a.acked_at, a.cleared_at
      FROM tmi.caller_scope() AS c (scope)
     CROSS JOIN tmi.alarm_event a
      JOIN tmi.alarm_rule r ON r.rule_id = a.rule_id
      JOIN tmi.target t ON t.target_id = a.target_id
     WHERE (alarms.target IS NULL OR a.target_id = alarms.target)
       AND (alarms.history OR a.state <> 'cleared')
       AND tmi.scope_sees(c.scope, t.kind, a.target_id)
     ORDER BY a.raised_at DESC, a.alarm_id DESC
$fn$;
COMMENT ON FUNCTION tmi.alarms(uuid, boolean) IS
    'Open alarms (with history, cleared ones too) of the targets the caller sees, newest first; the value only for readers of its field';

-- The SQL front door in an API schema, so that clients speaking only HTTP reach it as /rpc/<name>
-- in every version; each wrapper is granted to the roles the function it calls is granted to.
CREATE FUNCTION tmi.install_api_functions(api name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    f record;
    fn regprocedure;
BEGIN
    FOR f IN SELECT * FROM (VALUES
        ('ingest(source text, payload jsonb) RETURNS bigint VOLATILE', 'SELECT tmi.ingest(source, payload)',
         'tmi_speaker'),
        ('observe(target uuid, ts timestamptz, payload jsonb, lat double precision DEFAULT NULL,'
         ' lon double precision DEFAULT NULL) RETURNS bigint VOLATILE', 'SELECT tmi.observe(target, ts, payload, lat, lon)',
         'tmi_speaker'),
        ('near(lat double precision, lon double precision, radius_m double precision, kind text DEFAULT NULL,'
         ' since timestamptz DEFAULT NULL) RETURNS TABLE (target_id uuid, name text, target_kind text,'
         ' target_lat double precision, target_lon double precision, seen_at timestamptz, distance_m double precision) STABLE',
         'SELECT * FROM tmi.near(lat, lon, radius_m, kind, since)', 'tmi_speaker'),
        ('target_id(kind text, ext_key text) RETURNS uuid STABLE', 'SELECT tmi.target_id(kind, ext_key)', 'tmi_speaker'),
        ('events_since(after_id bigint DEFAULT 0, max_events integer DEFAULT 1000) RETURNS TABLE (event_id bigint,'
         ' ts timestamptz, event_type text, kind text, target_id uuid, payload jsonb) VOLATILE',
         'SELECT * FROM tmi.events_since(after_id, max_events)', 'tmi_admin'),
        ('status() RETURNS TABLE (subsystem text, state text, detail text) STABLE', 'SELECT * FROM tmi.status()',
         'tmi_listener'),
        ('series(target uuid, field text, bucket interval, since timestamptz DEFAULT ''-infinity'','
         ' until timestamptz DEFAULT ''infinity'') RETURNS TABLE (ts timestamptz, avg double precision,'
         ' min double precision, max double precision, n bigint) STABLE',
         'SELECT * FROM tmi.series(target, field, bucket, since, until)', 'tmi_listener'),
        -- connectors and their run state (secrets masked, tmi.connectors), for consoles and other clients
        ('connectors() RETURNS TABLE (connector_id bigint, name text, url text, every interval, format text, options jsonb,'
         ' enabled boolean, created_at timestamptz, last_attempt timestamptz, last_success timestamptz, last_status integer,'
         ' last_error text, consecutive_failures integer, next_run timestamptz, mapping text, suggestion jsonb,'
         ' suggestion_note text) STABLE', 'SELECT * FROM tmi.connectors',
         'tmi_speaker'),
        -- alarms as the caller may read them (tmi.alarms), acknowledged by admins (tmi.ack_alarm)
        ('alarms(target uuid DEFAULT NULL, history boolean DEFAULT false) RETURNS TABLE (alarm_id bigint, target_id uuid,'
         ' kind text, name text, ext_key text, field text, op text, threshold double precision, severity text, state text,'
         ' value double precision, raised_at timestamptz, acked_at timestamptz, cleared_at timestamptz) STABLE',
         'SELECT * FROM tmi.alarms(target, history)', 'tmi_listener'),
        ('ack_alarm(alarm_id bigint) RETURNS void VOLATILE', 'SELECT tmi.ack_alarm(alarm_id)', 'tmi_admin'),
        ('schema_history(kind text) RETURNS TABLE (version integer, change text, diff jsonb, attrs jsonb,'
         ' created_at timestamptz) STABLE', 'SELECT * FROM tmi.schema_history(kind)', 'tmi_listener'),
        -- what the console and other clients configure over REST: connectors, their mapping rules
        -- (previewed and suggested by tmidb-worker), listeners' tokens; and a target's files
        ('add_connector(name text, url text, every interval DEFAULT ''1 minute'', format text DEFAULT ''json'','
         ' options jsonb DEFAULT ''{}'', mapping text DEFAULT ''manual'') RETURNS bigint VOLATILE',
         'SELECT tmi.add_connector(name, url, every, format, options, mapping)', 'tmi_admin'),
        ('set_connector(name text, url text DEFAULT NULL, every interval DEFAULT NULL, format text DEFAULT NULL,'
         ' options jsonb DEFAULT NULL, enabled boolean DEFAULT NULL) RETURNS bigint VOLATILE',
         'SELECT tmi.set_connector(name, url, every, format, options, enabled)', 'tmi_admin'),
        ('run_connector(name text) RETURNS timestamptz VOLATILE', 'SELECT tmi.run_connector(name)', 'tmi_admin'),
        ('source_documents(source text, max_documents integer DEFAULT 1) RETURNS TABLE (raw_id bigint, ts timestamptz,'
         ' status text, http_status integer, content_type text, payload jsonb) STABLE',
         $body$SELECT r.raw_id, r.ts, r.status, r.http_status, r.content_type, r.payload FROM tmi.raw_bucket r
                WHERE r.source = $1 ORDER BY r.raw_id DESC LIMIT $2$body$, 'tmi_speaker'),
        ('mapping_rule(source text) RETURNS TABLE (rule jsonb, enabled boolean, updated_at timestamptz) STABLE',
         $body$SELECT m.rule, m.enabled, m.updated_at FROM tmi.mapping_rule m WHERE m.source = $1$body$, 'tmi_admin'),
        ('add_mapping(source text, rule jsonb) RETURNS bigint VOLATILE', 'SELECT tmi.add_mapping(source, rule)', 'tmi_admin'),
        ('mapping_preview(rule jsonb, payload jsonb) RETURNS jsonb VOLATILE', 'SELECT tmi.mapping_preview(rule, payload)',
         'tmi_admin'),
        ('suggest_mapping(source text) RETURNS jsonb VOLATILE', 'SELECT tmi.suggest_mapping(source)', 'tmi_admin'),
        ('test_connector(name text) RETURNS jsonb VOLATILE', 'SELECT tmi.test_connector(name)', 'tmi_admin'),
        ('listeners() RETURNS TABLE (listener_id bigint, name text, created_at timestamptz, subscriptions jsonb,'
         ' tokens jsonb) STABLE',
         $body$SELECT l.listener_id, l.name, l.created_at,
                coalesce((SELECT jsonb_agg(jsonb_build_object('kind', coalesce(s.kind, t.kind), 'target_id', s.target_id,
                                  'target', coalesce(t.name, t.ext_key), 'fields', s.fields) ORDER BY s.subscription_id)
                            FROM tmi.listener_subscription s LEFT JOIN tmi.target t ON t.target_id = s.target_id
                           WHERE s.listener_id = l.listener_id), '[]'),
                coalesce((SELECT jsonb_agg(jsonb_build_object('token_id', k.token_id, 'issued_at', k.issued_at,
                                  'expires_at', k.expires_at, 'revoked_at', k.revoked_at) ORDER BY k.issued_at DESC)
                            FROM tmi.token k WHERE k.listener_id = l.listener_id), '[]')
                FROM tmi.listener l ORDER BY l.name$body$, 'tmi_admin'),
        ('issue_token(role text, subject text, ttl interval DEFAULT ''1 hour'') RETURNS text VOLATILE',
         'SELECT tmi.issue_token(role, subject, ttl)', 'tmi_admin'),
        ('revoke_tokens(role text, subject text) RETURNS integer VOLATILE', 'SELECT tmi.revoke_tokens(role, subject)',
         'tmi_admin'),
        -- as the caller: row-level security shows a listener the files of the targets it sees
        ('target_files(target uuid) RETURNS TABLE (file_id bigint, name text, version integer, content_type text,'
         ' size_bytes bigint, sha256 text, created_at timestamptz) STABLE',
         $body$SELECT f.file_id, f.name, f.version, f.content_type, f.size_bytes, f.sha256, f.created_at
                FROM tmi.file_attachment f WHERE f.target_id = $1 ORDER BY f.name, f.version DESC$body$, 'tmi_listener')
    ) AS v (signature, body, grantee) LOOP
        EXECUTE format('CREATE OR REPLACE FUNCTION %I.%s LANGUAGE sql AS %L', api, f.signature, f.body);
        SELECT p.oid::regprocedure INTO fn FROM pg_proc p
         WHERE p.pronamespace = api::regnamespace AND p.proname = split_part(f.signature, '(', 1);
        -- made while the extension is updated, it would belong to the extension, as the API's
        -- views do not: pg_dump would leave it out and DROP EXTENSION take it
        IF EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = fn AND d.deptype = 'e') THEN
            EXECUTE format('ALTER EXTENSION tmidb DROP FUNCTION %s', fn);
        END IF;
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn, f.grantee);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION tmi.install_api_functions(name) IS
    'Creates the front door''s /rpc functions (ingest, observe, near, target_id, events_since, status, series, connectors, alarms, ack_alarm, schema_history, and what clients configure: connectors, mapping rules, tokens; target_files) in an API schema';

DO $api_functions$
DECLARE
    api name;
BEGIN
    FOR api IN SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname ~ '^api_v[0-9]+$' LOOP
        PERFORM tmi.install_api_functions(api);
    END LOOP;
END
$api_functions$;

REVOKE ALL ON FUNCTION tmi.series(uuid, text, interval, timestamptz, timestamptz), tmi.install_api_functions(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.series(uuid, text, interval, timestamptz, timestamptz), tmi.install_api_functions(name) TO tmi_admin;
GRANT EXECUTE ON FUNCTION tmi.series(uuid, text, interval, timestamptz, timestamptz) TO tmi_listener, tmi_anon;
REVOKE ALL ON FUNCTION tmi.alarms(uuid, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.alarms(uuid, boolean) TO tmi_admin, tmi_listener, tmi_anon;
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

-------------------------------------------------------------------------------
-- Tokens: revocable, bound to the listener, for every role
-------------------------------------------------------------------------------
-- Each token tmi.issue_token signs
-- has a row here; its id is the token's jti claim. The gateway accepts a token with a jti only
-- while its row exists and is not revoked, and learns of revocations from NOTIFY tmi_tokens
-- (payload: the token id), so a request costs no look-up. A listener's tokens hang on its id,
-- not its name: dropping the listener deletes them, and a new listener of the same name starts
-- with none.
CREATE TABLE tmi.token (
    token_id    uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    role        text        NOT NULL CHECK (role IN ('tmi_admin', 'tmi_speaker', 'tmi_listener')),
    subject     text        NOT NULL,
    listener_id bigint      REFERENCES tmi.listener (listener_id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CONSTRAINT token_listener_bound CHECK ((role = 'tmi_listener') = (listener_id IS NOT NULL))
);
COMMENT ON TABLE tmi.token IS 'Tokens issued by tmi.issue_token: their id is the jti claim; revoked or deleted ones are refused';
CREATE INDEX token_subject_idx ON tmi.token (role, subject);
CREATE INDEX token_listener_idx ON tmi.token (listener_id);

CREATE FUNCTION tmi.notify_token_gone()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    -- delivered at commit: the gateway then refuses the token on REST and closes its WebSockets
    PERFORM pg_catalog.pg_notify('tmi_tokens', OLD.token_id::text);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.notify_token_gone() IS
    'Trigger: NOTIFY tmi_tokens with the id of a token revoked or deleted (e.g. with its listener)';
CREATE TRIGGER token_gone AFTER DELETE OR UPDATE OF revoked_at ON tmi.token
    FOR EACH ROW EXECUTE FUNCTION tmi.notify_token_gone();

-- search_path is completed at the end of this section with the schema of pgcrypto
CREATE FUNCTION tmi.issue_token(role text, subject text, ttl interval)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
AS $fn$
DECLARE
    lid bigint;
    id uuid;
    exp timestamptz;
    claims jsonb;
    signing_input text;
BEGIN
    PERFORM tmi.require(subject, 'subject', 'Name who the token is for: a listener, a device, a person.');
    IF role IS NULL OR role NOT IN ('tmi_admin', 'tmi_speaker', 'tmi_listener') THEN
        RAISE EXCEPTION 'cannot issue a token for role "%"', role USING ERRCODE = '22023',
            DETAIL = 'Tokens are issued for tmi_admin, tmi_speaker and tmi_listener.',
            HINT = 'Pass one of those roles; anonymous requests need no token.';
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be a positive interval' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('ttl = %s', coalesce(ttl::text, 'NULL')),
            HINT = 'Pass how long the token is valid, e.g. ''1 hour''.';
    END IF;
    IF role = 'tmi_listener' THEN
        lid := tmi.listener_id(subject);
    END IF;
    exp := pg_catalog.now() + ttl;
    INSERT INTO tmi.token (role, subject, listener_id, expires_at)
    VALUES (issue_token.role, issue_token.subject, lid, exp) RETURNING token_id INTO id;
    claims := pg_catalog.jsonb_build_object('role', role, 'sub', subject, 'jti', id,
        'iat', pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now()))::bigint,
        'exp', pg_catalog.floor(pg_catalog.date_part('epoch', exp))::bigint);
    IF lid IS NOT NULL THEN
        claims := claims || pg_catalog.jsonb_build_object('listener', subject, 'listener_id', lid);
    END IF;
    signing_input := tmi.base64url(pg_catalog.convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8')) || '.'
        || tmi.base64url(pg_catalog.convert_to(claims::text, 'UTF8'));
    RETURN signing_input || '.'
        || tmi.base64url(hmac(pg_catalog.convert_to(signing_input, 'UTF8'), tmi.jwt_secret(), 'sha256'));
END
$fn$;
COMMENT ON FUNCTION tmi.issue_token(text, text, interval) IS
    'A revocable JWT (HS256, signed with tmi.jwt_secret()) for a role and a subject: claims role, sub, jti, iat, exp = now() + ttl, and for tmi_listener the listener and its id';

CREATE FUNCTION tmi.revoke_tokens(role text, subject text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    n integer;
BEGIN
    PERFORM tmi.require(role, 'role', 'Pass the role the tokens were issued for, e.g. tmi_speaker.');
    PERFORM tmi.require(subject, 'subject', 'Pass the subject the tokens were issued for.');
    UPDATE tmi.token t SET revoked_at = pg_catalog.now()
     WHERE t.role = revoke_tokens.role AND t.subject = revoke_tokens.subject AND t.revoked_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION tmi.revoke_tokens(text, text) IS
    'Revokes every token issued for the role and subject; the gateway refuses them at once. Returns how many';

CREATE FUNCTION tmi.revoke_tokens(listener text)
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT tmi.revoke_tokens('tmi_listener', listener) WHERE tmi.listener_id(listener) IS NOT NULL;
END;
COMMENT ON FUNCTION tmi.revoke_tokens(text) IS
    'Revokes every token of the listener (which must exist); the gateway refuses them at once. Returns how many';

CREATE FUNCTION tmi.drop_listener(name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    id bigint := tmi.listener_id(name);
BEGIN
    -- its subscriptions and tokens go with it (ON DELETE CASCADE); the tokens' trigger tells the gateway
    DELETE FROM tmi.listener l WHERE l.listener_id = id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.drop_listener(text) IS
    'Drops a listener with its subscriptions and tokens; a listener created later with the same name gets none of them. Returns its id';

CREATE OR REPLACE FUNCTION tmi.issue_token(listener text, ttl interval DEFAULT '1 hour')
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    RETURN tmi.issue_token('tmi_listener', listener, ttl);
END
$fn$;
COMMENT ON FUNCTION tmi.issue_token(text, interval) IS
    'A revocable JWT for the listener: tmi.issue_token(''tmi_listener'', listener, ttl)';

DO $crypto_path$
DECLARE
    crypto_schema name := (SELECT n.nspname
                             FROM pg_catalog.pg_extension e
                             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'pgcrypto');
BEGIN
    EXECUTE pg_catalog.format('ALTER FUNCTION tmi.issue_token(text, text, interval) SET search_path = pg_catalog, %I',
                              crypto_schema);
END
$crypto_path$;

SELECT pg_catalog.pg_extension_config_dump('tmi.token', '');
REVOKE ALL ON FUNCTION tmi.notify_token_gone(), tmi.issue_token(text, text, interval), tmi.revoke_tokens(text, text),
    tmi.revoke_tokens(text), tmi.drop_listener(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.notify_token_gone(), tmi.issue_token(text, text, interval), tmi.revoke_tokens(text, text),
    tmi.revoke_tokens(text), tmi.drop_listener(text) TO tmi_admin;
GRANT ALL ON tmi.token TO tmi_admin;

-------------------------------------------------------------------------------
-- Retention: how long the history of a kind is kept. tmi.set_retention(kind,
-- keep) per kind, and a default for every kind without its own (kind '*'); no
-- setting keeps everything. tmi.apply_retention() enforces it: tmidb-worker
-- calls it every partition-interval, and anyone allowed may call it at once.
--
-- Whole partitions (native) or chunks (TimescaleDB's drop_chunks) are dropped
-- once they hold nothing any kind still keeps: that frees the space at once and
-- costs no scan. What remains older than a kind's limit is deleted row by row.
-- Each target keeps its latest position, which is its current place (tmi.near
-- searches it), not history. One 'retention' event per kind that lost rows.
-------------------------------------------------------------------------------
CREATE TABLE tmi.retention (
    kind   text        PRIMARY KEY
           CONSTRAINT retention_kind_format CHECK (kind = '*' OR kind ~ '^[a-z][a-z0-9_]{0,62}$'),
    keep   interval    NOT NULL CONSTRAINT retention_keep_positive CHECK (keep > interval '0'),
    set_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.retention IS 'How long each kind''s observations and positions are kept; kind ''*'' is the default';

-- what the last run did, for tmi.status()
CREATE TABLE tmi.retention_applied (
    only_row           boolean     PRIMARY KEY DEFAULT true CONSTRAINT retention_applied_one_row CHECK (only_row),
    applied_at         timestamptz NOT NULL,
    partitions_dropped integer     NOT NULL,
    observations       bigint      NOT NULL,
    positions          bigint      NOT NULL
);
COMMENT ON TABLE tmi.retention_applied IS 'What the last tmi.apply_retention() removed';

CREATE FUNCTION tmi.set_retention(kind text, keep interval)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    IF kind IS NOT NULL AND kind !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid kind: %', kind USING ERRCODE = '22023',
            HINT = 'A kind is lower case letters, digits and _, starting with a letter; NULL sets the default of every kind.';
    END IF;
    IF keep IS NOT NULL AND keep <= interval '0' THEN
        RAISE EXCEPTION 'keep must be a positive interval' USING ERRCODE = '22023',
            DETAIL = format('keep = %s', keep),
            HINT = 'Pass how long readings are kept, e.g. ''90 days''; NULL removes the setting.';
    END IF;
    IF keep IS NULL THEN
        DELETE FROM tmi.retention r WHERE r.kind = coalesce(set_retention.kind, '*');
    ELSE
        INSERT INTO tmi.retention (kind, keep) VALUES (coalesce(set_retention.kind, '*'), keep)
        ON CONFLICT (kind) DO UPDATE SET keep = EXCLUDED.keep, set_at = now();
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.set_retention(text, interval) IS
    'Keeps the observations and positions of a kind (NULL: of every kind without its own) for keep; keep NULL removes the setting';

-- the limit of every kind that has targets or a setting: its own, else the default, else none (NULL)
CREATE FUNCTION tmi.retention_limits()
RETURNS TABLE (kind text, keep interval)
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT k.kind, coalesce(own.keep, dflt.keep)
      FROM (SELECT DISTINCT t.kind FROM tmi.target t
            UNION SELECT r.kind FROM tmi.retention r WHERE r.kind <> '*') k
      LEFT JOIN tmi.retention own ON own.kind = k.kind
      LEFT JOIN tmi.retention dflt ON dflt.kind = '*';
END;
COMMENT ON FUNCTION tmi.retention_limits() IS 'How long each kind''s history is kept (NULL: for ever)';

CREATE FUNCTION tmi.apply_retention()
RETURNS TABLE (kind text, before timestamptz, observations bigint, positions bigint, partitions_dropped integer)
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    started     timestamptz := now();
    horizon     timestamptz;
    dropped     integer := 0;
    ts_schema   name;
    part        record;
    lim         record;
    obs_gone    bigint;
    pos_gone    bigint;
BEGIN
    -- one run at a time; a concurrent caller waits, then finds little left to do
    PERFORM pg_advisory_xact_lock(hashtext('tmi.apply_retention'));

    -- partitions and chunks hold every kind: they go when they end before the longest limit,
    -- and only if every kind has one
    SELECT CASE WHEN count(*) > 0 AND count(l.keep) = count(*) THEN started - max(l.keep) END
      INTO horizon FROM tmi.retention_limits() l;
    IF horizon IS NOT NULL THEN
        IF tmi.storage_mode() = 'timescaledb' THEN
            SELECT n.nspname INTO ts_schema
              FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb';
            EXECUTE format('SELECT count(*) FROM %I.drop_chunks(%L::regclass, older_than => %L::timestamptz)',
                           ts_schema, 'tmi.ts_obs', horizon)
               INTO dropped;
        ELSE
            FOR part IN
                SELECT c.oid::regclass AS rel,
                       substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
                  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'tmi.ts_obs'::regclass
                   AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
            LOOP
                CONTINUE WHEN part.upper_bound IS NULL OR part.upper_bound > horizon;
                EXECUTE format('DROP TABLE %s', part.rel);
                dropped := dropped + 1;
            END LOOP;
        END IF;
    END IF;

    obs_gone := 0;
    pos_gone := 0;
    FOR lim IN SELECT l.kind, started - l.keep AS before FROM tmi.retention_limits() l WHERE l.keep IS NOT NULL ORDER BY 1
    LOOP
        WITH gone AS (
            DELETE FROM tmi.ts_obs o USING tmi.target t
             WHERE t.target_id = o.target_id AND t.kind = lim.kind AND o.ts < lim.before
            RETURNING 1)
        SELECT count(*) INTO observations FROM gone;
        WITH gone AS (
            DELETE FROM tmi.geo_trace g USING tmi.target t
             WHERE t.target_id = g.target_id AND t.kind = lim.kind AND g.ts < lim.before
               AND g.ts < (SELECT max(l.ts) FROM tmi.geo_trace l WHERE l.target_id = g.target_id)
            RETURNING 1)
        SELECT count(*) INTO positions FROM gone;
        IF observations > 0 OR positions > 0 OR dropped > 0 THEN
            INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
            VALUES ('retention', lim.kind, NULL,
                    jsonb_build_object('before', lim.before, 'observations', observations, 'positions', positions,
                                       'partitions_dropped', dropped));
        END IF;
        kind := lim.kind;
        before := lim.before;
        partitions_dropped := dropped;
        obs_gone := obs_gone + observations;
        pos_gone := pos_gone + positions;
        RETURN NEXT;
    END LOOP;

    INSERT INTO tmi.retention_applied (applied_at, partitions_dropped, observations, positions)
    VALUES (started, dropped, obs_gone, pos_gone)
    ON CONFLICT (only_row) DO UPDATE SET applied_at = EXCLUDED.applied_at, partitions_dropped = EXCLUDED.partitions_dropped,
        observations = EXCLUDED.observations, positions = EXCLUDED.positions;
END
$fn$;
COMMENT ON FUNCTION tmi.apply_retention() IS
    'Removes observations and positions older than their kind''s retention: whole partitions or chunks where possible, rows otherwise';

REVOKE ALL ON FUNCTION tmi.set_retention(text, interval), tmi.retention_limits(), tmi.apply_retention() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.set_retention(text, interval), tmi.retention_limits(), tmi.apply_retention() TO tmi_admin;
GRANT ALL ON tmi.retention, tmi.retention_applied TO tmi_admin;
SELECT pg_catalog.pg_extension_config_dump('tmi.retention', '');
SELECT pg_catalog.pg_extension_config_dump('tmi.retention_applied', '');

-------------------------------------------------------------------------------
-- Mapping previews without tmidbd's password file, and without polling (see
-- src/13-mapping-preview.sql): tmi.mapping_preview connects back as
-- tmi_preview, whose password CREATE EXTENSION keeps in the data directory,
-- and waits for the lock of a ticket tmidb-worker holds.
-------------------------------------------------------------------------------
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tmi_preview') THEN
        CREATE ROLE tmi_preview NOLOGIN;
    END IF;
END
$roles$;

-- previews and suggestions share the requests table: a suggestion has no rule, its documents in payload
ALTER TABLE tmi.preview_request ALTER COLUMN rule DROP NOT NULL,
    ADD COLUMN task text NOT NULL DEFAULT 'preview' CONSTRAINT preview_request_task CHECK (task IN ('preview', 'suggestion')),
    ADD COLUMN source text;
COMMENT ON TABLE tmi.preview_request IS 'Previews and mapping suggestions asked of tmidb-worker (a suggestion: payload holds the documents, newest first), and its answers';

-- a ticket's advisory lock is (this class, its request id)
CREATE FUNCTION tmi.preview_lock_class()
RETURNS integer
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT 7630185; -- 'tmi' in ASCII
END;
COMMENT ON FUNCTION tmi.preview_lock_class() IS 'The first key of the advisory locks of preview tickets';

CREATE FUNCTION tmi.reserve_preview_ticket()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    id bigint := nextval(pg_get_serial_sequence('tmi.preview_request', 'request_id'));
BEGIN
    PERFORM pg_advisory_lock(tmi.preview_lock_class(), id::integer);
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.reserve_preview_ticket() IS
    'For tmidb-worker: reserves a request id for a preview and holds its lock until tmi.release_preview_ticket';

CREATE FUNCTION tmi.release_preview_ticket(id bigint)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT pg_catalog.pg_advisory_unlock(tmi.preview_lock_class(), id::integer);
END;
COMMENT ON FUNCTION tmi.release_preview_ticket(bigint) IS
    'For tmidb-worker: wakes the caller waiting for the preview of this request id (its answer is committed)';

-- what the running workers hold: none while no worker runs (or it has not started yet)
CREATE FUNCTION tmi.preview_tickets()
RETURNS SETOF bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT l.objid::bigint FROM pg_catalog.pg_locks l
     WHERE l.locktype = 'advisory' AND l.classid = tmi.preview_lock_class()::oid AND l.objsubid = 2
       AND l.mode = 'ExclusiveLock' AND l.granted
       AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database());
END;
COMMENT ON FUNCTION tmi.preview_tickets() IS
    'The request ids running tmidb-workers hold for previews (used or not); none while no worker runs';

-- run through the link, as tmi_preview: queues a request (a preview or a suggestion)
CREATE FUNCTION tmi.queue_request(task text, rule jsonb, payload jsonb, source text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    tickets bigint[] := ARRAY(SELECT tmi.preview_tickets());
    id bigint;
    ticket bigint;
BEGIN
    IF cardinality(tickets) = 0 THEN
        RAISE EXCEPTION 'no tmidb-worker is running to answer the %', task USING ERRCODE = '55000',
            HINT = 'Start tmidb-worker (tmictl status shows it), run "tmictl mapping preview" or "tmictl mapping suggest" (the same code, outside the server), or, for previews, SELECT tmi.use_host(''pljava'').';
    END IF;
    -- the free tickets in random order: another caller may take the same one at the same moment
    FOR ticket IN SELECT t FROM unnest(tickets) t
                   WHERE NOT EXISTS (SELECT 1 FROM tmi.preview_request r WHERE r.request_id = t) ORDER BY random() LOOP
        INSERT INTO tmi.preview_request (request_id, task, rule, payload, source) VALUES (ticket, task, rule, payload, source)
        ON CONFLICT DO NOTHING
        RETURNING request_id INTO id;
        EXIT WHEN id IS NOT NULL;
    END LOOP;
    IF id IS NULL THEN
        RAISE EXCEPTION 'tmidb-worker is busy with % requests', cardinality(tickets) USING ERRCODE = '53000',
            HINT = 'Try again in a moment.';
    END IF;
    PERFORM pg_notify('tmi_preview', id::text);
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.queue_request(text, jsonb, jsonb, text) IS
    'For tmi.ask_worker, through its own connection: queues a request under a ticket a running tmidb-worker holds';

-- run through the link, as tmi_preview: the answer, once, or NULL if there is none
CREATE FUNCTION tmi.take_preview_answer(id bigint)
RETURNS jsonb
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    DELETE FROM tmi.preview_request p
     WHERE p.request_id = id AND (p.result IS NOT NULL OR p.error IS NOT NULL)
    RETURNING pg_catalog.jsonb_build_object('result', p.result, 'sqlstate', p.sqlstate, 'error', p.error, 'hint', p.hint);
END;
COMMENT ON FUNCTION tmi.take_preview_answer(bigint) IS
    'For tmi.ask_worker, through its own connection: the answer to a request, deleted as it is read';

CREATE FUNCTION tmi.preview_secret_file()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT pg_catalog.current_setting('data_directory') || '/tmidb_preview.secret';
END;
COMMENT ON FUNCTION tmi.preview_secret_file() IS 'Where the password of tmi_preview is kept: in the data directory';

-- Gives tmi_preview its password: the data directory's secret, shared by every database of the
-- cluster, made when missing (or when asked: after a leak, say); CREATE EXTENSION runs it.
CREATE FUNCTION tmi.renew_preview_link(new_secret boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    secret text := CASE WHEN NOT new_secret THEN btrim(pg_read_file(tmi.preview_secret_file(), 0, 1000, true), E'\n') END;
BEGIN
    IF secret IS NULL OR secret = '' THEN
        secret := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
        EXECUTE format('COPY (SELECT %L) TO %L', secret, tmi.preview_secret_file());
    ELSIF EXISTS (SELECT 1 FROM pg_authid WHERE rolname = 'tmi_preview' AND rolcanlogin AND rolpassword IS NOT NULL) THEN
        RETURN; -- set by an earlier CREATE EXTENSION (in any database): leave pg_authid alone
    END IF;
    -- inside a function, so log_statement does not log the password
    EXECUTE format('ALTER ROLE tmi_preview LOGIN PASSWORD %L', secret);
END
$fn$;
COMMENT ON FUNCTION tmi.renew_preview_link(boolean) IS
    'Sets the password of tmi_preview, the role tmi.mapping_preview connects back as, from the data directory''s secret (a new one if asked or missing)';
SELECT tmi.renew_preview_link();

-- One query through the link, as tmi_preview: over the server's own socket, else its loopback
-- address (pg_hba.conf may allow password logins on only one of them); its single value.
CREATE FUNCTION tmi.preview_link(query text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    dblink_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'dblink');
    secret text := btrim(pg_read_file(tmi.preview_secret_file(), 0, 1000, true), E'\n');
    hosts text[] := array_remove(ARRAY[nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                                       CASE WHEN current_setting('listen_addresses') <> '' THEN 'localhost' END], NULL);
    host text;
    value text;
    failure text := 'the server has neither a socket directory nor a listen address';
BEGIN
    IF secret IS NULL THEN
        RAISE EXCEPTION 'cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
            DETAIL = 'The data directory has no tmidb_preview.secret.',
            HINT = 'As a superuser: SELECT tmi.renew_preview_link();';
    END IF;
    FOREACH host IN ARRAY hosts LOOP
        BEGIN
            EXECUTE format('SELECT v FROM %I.dblink($1, $2) AS t (v text)', dblink_schema) INTO value
              USING format('host=%s port=%s dbname=%s user=tmi_preview password=%s application_name=tmidb-preview',
                           tmi.conninfo_value(host), current_setting('port'), tmi.conninfo_value(current_database()),
                           secret), query;
            RETURN value;
        EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR invalid_authorization_specification
                       OR connection_exception THEN
            GET STACKED DIAGNOSTICS failure = PG_EXCEPTION_DETAIL; -- libpq's reason
            failure := SQLERRM || coalesce(': ' || nullif(failure, ''), '');
        END;
    END LOOP;
    RAISE EXCEPTION 'cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
        DETAIL = failure,
        HINT = 'Let role tmi_preview log in with its password from the server itself (pg_hba.conf; if the password was changed,'
               ' a superuser runs SELECT tmi.renew_preview_link(true)), run "tmictl mapping preview" or "tmictl mapping suggest" (the same code,'
               ' outside the server), or SELECT tmi.use_host(''pljava'').';
END
$fn$;
COMMENT ON FUNCTION tmi.preview_link(text) IS
    'Runs one query as tmi_preview on a connection of its own to this database, and returns its value';

CREATE FUNCTION tmi.conninfo_value(v text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT '''' || replace(replace(v, '\', '\\'), '''', '\''') || '''';
END;
COMMENT ON FUNCTION tmi.conninfo_value(text) IS 'A value quoted for a libpq connection string';

-- on the PL/Java host, tmi.use_host('pljava') bound the Java to tmi.mapping_preview: it stays
DO $preview$
BEGIN
IF tmi.host() = 'worker' THEN
-- The round trip of a request tmidb-worker answers while its caller waits: queued through the
-- link, answered once the ticket's lock is free, the answer taken through the link again.
CREATE FUNCTION tmi.ask_worker(task text, rule jsonb, payload jsonb, source text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog
SET lock_timeout = '30s'
AS $fn$
DECLARE
    id bigint;
    answer jsonb;
BEGIN
    id := tmi.preview_link(format('SELECT tmi.queue_request(%L, %L, %L, %L)', task, rule, payload, source));
    BEGIN
        PERFORM pg_advisory_lock_shared(tmi.preview_lock_class(), id::integer); -- released by the worker once it answered
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'tmidb-worker did not answer the % within 30 seconds', task USING ERRCODE = '57014',
            HINT = 'Check that tmidb-worker runs (tmictl status), or run "tmictl mapping preview" / "tmictl mapping suggest".';
    END;
    PERFORM pg_advisory_unlock_shared(tmi.preview_lock_class(), id::integer);
    answer := tmi.preview_link(format('SELECT tmi.take_preview_answer(%s)', id));
    IF answer IS NULL THEN
        RAISE EXCEPTION 'tmidb-worker stopped before it answered the %', task USING ERRCODE = '55000',
            HINT = 'Check that tmidb-worker runs (tmictl status), then try again.';
    ELSIF answer->>'error' IS NOT NULL THEN
        RAISE EXCEPTION '%', answer->>'error' USING ERRCODE = coalesce(answer->>'sqlstate', 'XX000'),
            HINT = coalesce(answer->>'hint', 'See the worker''s log.');
    END IF;
    RETURN answer->'result';
END
$fn$;
COMMENT ON FUNCTION tmi.ask_worker(text, jsonb, jsonb, text) IS
    'Asks tmidb-worker for a preview or a suggestion and waits for its answer';

CREATE OR REPLACE FUNCTION tmi.mapping_preview(rule jsonb, payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.check_mapping_rule(rule);
    PERFORM tmi.require(payload, 'payload', 'Pass the document to preview as jsonb.');
    RETURN tmi.ask_worker('preview', rule, payload, NULL);
END
$fn$;
END IF;
END
$preview$;
COMMENT ON FUNCTION tmi.mapping_preview(jsonb, jsonb) IS
    'What a document would become under a rule (targets, observations, positions, item errors), writing nothing; on the worker host tmidb-worker computes it';
REVOKE ALL ON FUNCTION tmi.preview_lock_class(), tmi.reserve_preview_ticket(), tmi.release_preview_ticket(bigint),
    tmi.preview_tickets(), tmi.queue_request(text, jsonb, jsonb, text), tmi.take_preview_answer(bigint), tmi.ask_worker(text, jsonb, jsonb, text),
    tmi.preview_secret_file(),
    tmi.renew_preview_link(boolean), tmi.preview_link(text), tmi.conninfo_value(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.preview_lock_class(), tmi.reserve_preview_ticket(), tmi.release_preview_ticket(bigint),
    tmi.preview_tickets(), tmi.queue_request(text, jsonb, jsonb, text), tmi.take_preview_answer(bigint), tmi.ask_worker(text, jsonb, jsonb, text),
    tmi.preview_secret_file(),
    tmi.renew_preview_link(boolean), tmi.preview_link(text), tmi.conninfo_value(text) TO tmi_admin;
-- tmi.mapping_preview's own connection may queue a request and take its answer, nothing else
GRANT USAGE ON SCHEMA tmi TO tmi_preview;
GRANT EXECUTE ON FUNCTION tmi.queue_request(text, jsonb, jsonb, text), tmi.take_preview_answer(bigint) TO tmi_preview;

-------------------------------------------------------------------------------
-- Suggested mappings: tmi.suggest_mapping asks tmidb-worker, on either host, to
-- propose a rule for a document or for a source's stored documents, the way a
-- preview is asked (tmi.ask_worker): the role model runs in the worker's JVM,
-- never inside the server. Nothing is written but the request and its answer;
-- a suggestion is applied by tmi.add_mapping.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.suggest_mapping(document jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(document, 'document', 'Pass the document to suggest a mapping for as jsonb.');
    RETURN tmi.ask_worker('suggestion', NULL, jsonb_build_array(document), NULL);
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_mapping(jsonb) IS
    'A proposed mapping rule for a document, with the confidence and reason of each element; writes nothing';

-- the documents a suggestion for a source reads: its newest few, newest first (two or more tell
-- attributes, which stay, from observations, which change)
CREATE FUNCTION tmi.suggestion_documents(source text)
RETURNS SETOF jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT r.payload FROM tmi.raw_bucket r WHERE r.source = suggestion_documents.source ORDER BY r.raw_id DESC LIMIT 3;
END;
COMMENT ON FUNCTION tmi.suggestion_documents(text) IS 'The newest documents stored for a source, newest first, that a mapping suggestion reads';

CREATE FUNCTION tmi.suggest_mapping(source text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    docs jsonb;
BEGIN
    PERFORM tmi.require(source, 'source', 'Name a connector or an ingest source.');
    SELECT jsonb_agg(d) INTO docs FROM tmi.suggestion_documents(source) d;
    IF docs IS NULL THEN
        RAISE EXCEPTION 'no document stored for source "%"', source USING ERRCODE = '42704',
            HINT = 'Let the connector fetch once (or tmi.ingest a document) first; to suggest from a document, pass it as jsonb: tmi.suggest_mapping(''{...}''::jsonb).';
    END IF;
    RETURN tmi.ask_worker('suggestion', NULL, docs, source);
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_mapping(text) IS
    'A proposed mapping rule for the newest documents stored for a source (connector or ingest label); writes nothing';
REVOKE ALL ON FUNCTION tmi.suggest_mapping(jsonb), tmi.suggestion_documents(text), tmi.suggest_mapping(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.suggest_mapping(jsonb), tmi.suggestion_documents(text), tmi.suggest_mapping(text) TO tmi_admin;

-- A connector's mapping mode: with mapping => 'suggest' or 'auto' tmidb-worker proposes a rule once
-- a document has arrived, and with 'auto' applies it when confident (see "Suggested mappings").
ALTER TABLE tmi.ingest_connector
    ADD COLUMN mapping         text NOT NULL DEFAULT 'manual' CHECK (mapping IN ('manual', 'suggest', 'auto')),
    ADD COLUMN suggestion      jsonb,
    ADD COLUMN suggestion_note text;
DROP FUNCTION tmi.add_connector(text, text, interval, text, jsonb);
CREATE FUNCTION tmi.add_connector(name text, url text, every interval DEFAULT '1 minute',
                                  format text DEFAULT 'json', options jsonb DEFAULT '{}', mapping text DEFAULT 'manual')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(name, 'name', 'Name the connector; tmi.ingest() and mapping rules refer to it.');
    PERFORM tmi.check_connector(url, every, format, options);
    IF name !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' THEN
        RAISE EXCEPTION 'invalid connector name "%"', name USING ERRCODE = '22023',
            HINT = 'Use letters, digits, ''_'', ''.'', '':'' and ''-'', at most 128 characters.';
    END IF;
    PERFORM tmi.require(mapping, 'mapping', 'Pass manual, suggest or auto.');
    IF mapping NOT IN ('manual', 'suggest', 'auto') THEN
        RAISE EXCEPTION 'invalid mapping mode "%"', mapping USING ERRCODE = '22023',
            HINT = 'manual: you write the rule; suggest: tmiDB proposes one (tmi.connectors.suggestion); auto: it also applies a confident one.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.ingest_connector c WHERE c.name = add_connector.name) THEN
        RAISE EXCEPTION 'connector "%" already exists', name USING ERRCODE = '23505',
            HINT = 'Choose another name, or change it with tmi.set_connector().';
    END IF;
    INSERT INTO tmi.ingest_connector (name, url, every, format, options, mapping)
    VALUES (add_connector.name, add_connector.url, add_connector.every, add_connector.format, add_connector.options,
            add_connector.mapping)
    RETURNING connector_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_connector(text, text, interval, text, jsonb, text) IS
    'Registers a URL that tmiDB fetches every interval into raw_bucket; mapping => suggest or auto has tmiDB propose (and, for auto, apply when confident) its rule. Returns the connector id.';
CREATE OR REPLACE VIEW tmi.connectors AS
SELECT c.connector_id, c.name, c.url, c.every, c.format, tmi.mask_connector_options(c.options) AS options,
       c.enabled, c.created_at, c.last_attempt, c.last_success, c.last_status, c.last_error,
       c.consecutive_failures, c.next_run, c.mapping, c.suggestion, c.suggestion_note
  FROM tmi.ingest_connector c;
REVOKE ALL ON FUNCTION tmi.add_connector(text, text, interval, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.add_connector(text, text, interval, text, jsonb, text) TO tmi_admin;

-------------------------------------------------------------------------------
-- Files: the bytes in S3-compatible object storage, their metadata here
-- (docs/files.md). A speaker asks the gateway for an upload (tmi.begin_upload
-- records it as pending, with an expiry), sends the object straight to the
-- store, and the gateway, once it has verified size and SHA-256, attaches it
-- (tmi.attach_file: the file_attachment row and the file.attached event, in one
-- transaction). Objects placed by other means are attached with tmi.attach_file
-- directly. A file deleted, with its target or alone (tmi.detach_file), makes a
-- file.deleted event and queues its object in file_trash; pending uploads that
-- expire are queued there too (tmi.expire_uploads), and the object store's
-- janitor deletes what is queued. Listeners read files under the rule of rows
-- (row-level security with tmi.listener_sees).
-------------------------------------------------------------------------------
ALTER TABLE tmi.file_attachment ADD COLUMN name text, ADD COLUMN version integer;
-- files 0.1 stored (by hand: it had no front door for them) are named after their key's last segment
UPDATE tmi.file_attachment f
   SET name = coalesce(nullif(pg_catalog.regexp_replace(f.object_key, '^.*/', ''), ''), f.object_key),
       version = 1;
ALTER TABLE tmi.file_attachment ALTER COLUMN name SET NOT NULL, ALTER COLUMN version SET NOT NULL,
    ADD CONSTRAINT file_attachment_version UNIQUE (target_id, name, version);
COMMENT ON COLUMN tmi.file_attachment.version IS 'Files of a target with the same name are its versions: 1, 2, ...';

CREATE TABLE tmi.file_upload (
    upload_id    uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    target_id    uuid        NOT NULL,
    name         text        NOT NULL,
    content_type text        NOT NULL,
    size_bytes   bigint      NOT NULL CONSTRAINT file_upload_size CHECK (size_bytes >= 0),
    sha256       text        NOT NULL,
    bucket       text        NOT NULL,
    object_key   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz NOT NULL,
    UNIQUE (bucket, object_key)
);
COMMENT ON TABLE tmi.file_upload IS
    'Uploads promised but not yet attached; the object may exist. Expired ones are queued in file_trash';
CREATE INDEX file_upload_expires_idx ON tmi.file_upload (expires_at);

CREATE TABLE tmi.file_trash (
    bucket     text        NOT NULL,
    object_key text        NOT NULL,
    queued_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text,
    PRIMARY KEY (bucket, object_key)
);
COMMENT ON TABLE tmi.file_trash IS 'Objects to delete from the object store (deleted files, expired uploads)';

-- what the gateway last learnt of the object store it uses (tmi.status() shows it)
CREATE TABLE tmi.file_store (
    bucket     text        PRIMARY KEY,
    endpoint   text        NOT NULL,
    reachable  boolean     NOT NULL,
    objects    bigint,
    bytes      bigint,
    detail     text,
    checked_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.file_store IS 'The object stores in use, as last checked: reachable, objects and bytes';

CREATE FUNCTION tmi.check_file(name text, content_type text, size_bytes bigint, sha256 text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(name, 'name', 'Name the file, e.g. ''photo.jpg''.');
    PERFORM tmi.require(content_type, 'content_type', 'Pass the media type, e.g. ''image/jpeg''.');
    PERFORM tmi.require(size_bytes, 'size_bytes', 'Pass the size of the object in bytes.');
    PERFORM tmi.require(sha256, 'sha256', 'Pass the SHA-256 of the object as 64 hexadecimal digits.');
    IF name = '' OR length(name) > 255 OR name ~ '[[:cntrl:]/\\]' THEN
        RAISE EXCEPTION 'invalid file name' USING ERRCODE = '22023',
            DETAIL = format('name = %s', left(quote_literal(name), 300)),
            HINT = 'A file name has 1 to 255 characters, no slash, backslash or control character.';
    END IF;
    IF content_type !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
        RAISE EXCEPTION 'invalid content type' USING ERRCODE = '22023',
            DETAIL = format('content_type = %s', left(quote_literal(content_type), 300)),
            HINT = 'Pass a media type as type/subtype without parameters, e.g. ''image/jpeg''.';
    END IF;
    IF size_bytes < 0 THEN
        RAISE EXCEPTION 'size_bytes must not be negative' USING ERRCODE = '22023',
            DETAIL = format('size_bytes = %s', size_bytes), HINT = 'Pass the size of the object in bytes.';
    END IF;
    IF sha256 !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'invalid sha256' USING ERRCODE = '22023',
            DETAIL = format('sha256 = %s', left(quote_literal(sha256), 100)),
            HINT = 'Pass the SHA-256 of the object as 64 lower-case hexadecimal digits.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.check_file(text, text, bigint, text) IS
    'Raises 22004/22023 unless name, content type, size and SHA-256 (hex) describe a file';

CREATE FUNCTION tmi.require_speaker(action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF NOT tmi.caller_is_speaker() THEN
        RAISE EXCEPTION 'permission denied to %', action USING ERRCODE = '42501',
            HINT = 'Files are written by speakers and admins (tmi_speaker, tmi_admin).';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.require_speaker(text) IS 'Raises 42501 unless the caller is a speaker, an admin or a superuser';

CREATE FUNCTION tmi.require_target(target uuid)
RETURNS void
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass the target''s id, e.g. tmi.target_id(kind, ext_key).');
    IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = target) THEN
        RAISE EXCEPTION 'target % does not exist', target USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target first, or pass the id of an existing target.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.require_target(uuid) IS 'Raises 22004/42704 unless the target exists';

CREATE FUNCTION tmi.begin_upload(target uuid, name text, content_type text, size_bytes bigint, sha256 text,
                                 bucket text, ttl interval)
RETURNS tmi.file_upload
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    id uuid := gen_random_uuid();
    up tmi.file_upload;
BEGIN
    PERFORM tmi.require_speaker('upload files');
    PERFORM tmi.check_file(name, content_type, size_bytes, sha256);
    PERFORM tmi.require_target(target);
    PERFORM tmi.require(bucket, 'bucket', 'Pass the bucket the object goes to.');
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be a positive interval' USING ERRCODE = '22023',
            DETAIL = format('ttl = %s', coalesce(ttl::text, 'NULL')), HINT = 'Pass how long the upload may take, e.g. ''15 minutes''.';
    END IF;
    INSERT INTO tmi.file_upload (upload_id, target_id, name, content_type, size_bytes, sha256, bucket, object_key, expires_at)
    VALUES (id, target, name, content_type, size_bytes, sha256, bucket, target::text || '/' || id::text, now() + ttl)
    RETURNING * INTO up;
    RETURN up;
END
$fn$;
COMMENT ON FUNCTION tmi.begin_upload(uuid, text, text, bigint, text, text, interval) IS
    'Records a pending upload of a file about a target (object key <target_id>/<upload_id>) until now() + ttl';

CREATE FUNCTION tmi.pending_upload(upload uuid)
RETURNS tmi.file_upload
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    up tmi.file_upload;
BEGIN
    PERFORM tmi.require_speaker('upload files');
    SELECT * INTO up FROM tmi.file_upload u WHERE u.upload_id = upload AND u.expires_at > now();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'upload % is unknown or expired', upload USING ERRCODE = '42704',
            HINT = 'Ask for a new upload (POST /files); an upload must be completed before it expires.';
    END IF;
    RETURN up;
END
$fn$;
COMMENT ON FUNCTION tmi.pending_upload(uuid) IS 'The pending upload with this id, unless it expired (42704)';

CREATE FUNCTION tmi.cancel_upload(upload uuid)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require_speaker('upload files');
    WITH gone AS (DELETE FROM tmi.file_upload u WHERE u.upload_id = upload RETURNING u.bucket, u.object_key)
    INSERT INTO tmi.file_trash (bucket, object_key) SELECT g.bucket, g.object_key FROM gone g
        ON CONFLICT DO NOTHING;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION tmi.cancel_upload(uuid) IS 'Drops a pending upload and queues its object (if any) for deletion';

CREATE FUNCTION tmi.attach_file(target uuid, name text, content_type text, size_bytes bigint, sha256 text,
                                bucket text, object_key text, meta jsonb DEFAULT '{}')
RETURNS tmi.file_attachment
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    f tmi.file_attachment;
BEGIN
    PERFORM tmi.require_speaker('attach files');
    PERFORM tmi.check_file(name, content_type, size_bytes, sha256);
    PERFORM tmi.require_target(target);
    PERFORM tmi.require(bucket, 'bucket', 'Pass the bucket that holds the object.');
    PERFORM tmi.require(object_key, 'object_key', 'Pass the key of the object in its bucket.');
    PERFORM tmi.require_object(meta, 'meta');
    IF object_key = '' THEN
        RAISE EXCEPTION 'object_key must not be empty' USING ERRCODE = '22023', HINT = 'Pass the key of the object in its bucket.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.file_attachment a WHERE a.bucket = attach_file.bucket AND a.object_key = attach_file.object_key) THEN
        RAISE EXCEPTION 'object %/% is attached already', bucket, object_key USING ERRCODE = '23505',
            HINT = 'An object is one file; put a new version under a key of its own.';
    END IF;
    -- versions of one name are numbered in turn; the lock makes concurrent attaches wait for each other
    PERFORM pg_advisory_xact_lock(hashtextextended(target::text || '/' || name, 0));
    INSERT INTO tmi.file_attachment (target_id, bucket, object_key, content_type, size_bytes, sha256, meta, name, version)
    SELECT target, attach_file.bucket, attach_file.object_key, attach_file.content_type, attach_file.size_bytes,
           attach_file.sha256, attach_file.meta, attach_file.name, coalesce(max(a.version), 0) + 1
      FROM tmi.file_attachment a WHERE a.target_id = target AND a.name = attach_file.name
    RETURNING * INTO f;
    DELETE FROM tmi.file_upload u WHERE u.bucket = attach_file.bucket AND u.object_key = attach_file.object_key;
    DELETE FROM tmi.file_trash x WHERE x.bucket = attach_file.bucket AND x.object_key = attach_file.object_key;
    RETURN f;
END
$fn$;
COMMENT ON FUNCTION tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb) IS
    'Attaches an object of the store to a target as the next version of the named file (event file.attached); the object must be in place';

CREATE FUNCTION tmi.detach_file(file bigint)
RETURNS tmi.file_attachment
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    f tmi.file_attachment;
BEGIN
    PERFORM tmi.require(file, 'file', 'Pass the file''s id (file_id).');
    DELETE FROM tmi.file_attachment a WHERE a.file_id = file RETURNING * INTO f;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'file % does not exist', file USING ERRCODE = '42704',
            HINT = 'Pass the file_id of an attached file (file.attached events carry it).';
    END IF;
    RETURN f;
END
$fn$;
COMMENT ON FUNCTION tmi.detach_file(bigint) IS
    'Deletes a file: its row goes, its object is queued for deletion, and a file.deleted event is made';

CREATE FUNCTION tmi.file_deleted()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    log bigint;
BEGIN
    INSERT INTO tmi.file_trash (bucket, object_key) VALUES (OLD.bucket, OLD.object_key) ON CONFLICT DO NOTHING;
    -- the target is still there when it is being deleted: its files go first (tmi.target_files_deleted)
    INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
    SELECT 'file.deleted', (SELECT t.kind FROM tmi.target t WHERE t.target_id = OLD.target_id), OLD.target_id,
           to_jsonb(OLD)
    RETURNING log_id INTO log;
    PERFORM tmi.notify_events(log);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.file_deleted() IS 'Trigger: a deleted file''s object goes to file_trash, and a file.deleted event is made';
CREATE TRIGGER file_attachment_deleted AFTER DELETE ON tmi.file_attachment
    FOR EACH ROW EXECUTE FUNCTION tmi.file_deleted();

-- A target's files are deleted before the target rather than by ON DELETE CASCADE after it, so
-- that their file.deleted events carry the target's kind, which WebSocket listeners follow.
CREATE FUNCTION tmi.target_files_deleted()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    DELETE FROM tmi.file_attachment a WHERE a.target_id = OLD.target_id;
    RETURN OLD;
END
$fn$;
COMMENT ON FUNCTION tmi.target_files_deleted() IS
    'Trigger: a target''s files are deleted before it, so that their file.deleted events carry its kind';
CREATE TRIGGER target_files_deleted BEFORE DELETE ON tmi.target
    FOR EACH ROW EXECUTE FUNCTION tmi.target_files_deleted();

CREATE FUNCTION tmi.expire_uploads()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    n integer;
BEGIN
    WITH gone AS (DELETE FROM tmi.file_upload u WHERE u.expires_at <= now() RETURNING u.bucket, u.object_key)
    INSERT INTO tmi.file_trash (bucket, object_key) SELECT g.bucket, g.object_key FROM gone g
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION tmi.expire_uploads() IS
    'Queues the objects of expired uploads in file_trash and forgets the uploads; returns how many were queued';

CREATE FUNCTION tmi.report_file_store(bucket text, endpoint text, reachable boolean, objects bigint, bytes bigint, detail text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
BEGIN ATOMIC
    INSERT INTO tmi.file_store (bucket, endpoint, reachable, objects, bytes, detail, checked_at)
    VALUES (report_file_store.bucket, report_file_store.endpoint, report_file_store.reachable,
            report_file_store.objects, report_file_store.bytes, report_file_store.detail, now())
    ON CONFLICT ON CONSTRAINT file_store_pkey DO UPDATE
       SET endpoint = excluded.endpoint, reachable = excluded.reachable, objects = excluded.objects,
           bytes = excluded.bytes, detail = excluded.detail, checked_at = excluded.checked_at;
END;
COMMENT ON FUNCTION tmi.report_file_store(text, text, boolean, bigint, bigint, text) IS
    'Records what the worker learnt of the object store (tmi.status() shows it)';

CREATE FUNCTION tmi.file_status()
RETURNS TABLE (subsystem text, state text, detail text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT 'files',
           CASE WHEN bool_and(s.reachable) IS DISTINCT FROM false THEN 'ok' ELSE 'attention' END,
           format('%s files, %s bytes attached; %s uploads pending, %s objects to delete; %s',
                  (SELECT count(*) FROM tmi.file_attachment), (SELECT coalesce(sum(a.size_bytes), 0) FROM tmi.file_attachment a),
                  (SELECT count(*) FROM tmi.file_upload), (SELECT count(*) FROM tmi.file_trash),
                  coalesce(string_agg(format('store %s bucket %s %s: %s objects, %s bytes%s (checked %s s ago)',
                                             s.endpoint, s.bucket, CASE WHEN s.reachable THEN 'reachable' ELSE 'unreachable' END,
                                             coalesce(s.objects::text, '?'), coalesce(s.bytes::text, '?'),
                                             coalesce(': ' || s.detail, ''),
                                             round(extract(epoch FROM now() - s.checked_at)::numeric)), '; ' ORDER BY s.bucket),
                           'no object store has reported (tmidb-worker reports the one it uses)'))
      FROM tmi.file_store s;
END;
COMMENT ON FUNCTION tmi.file_status() IS 'The files row of tmi.status(): files, pending uploads, trash and the object store';

ALTER TABLE tmi.file_attachment ENABLE ROW LEVEL SECURITY;
CREATE POLICY file_attachment_speaker ON tmi.file_attachment TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY file_attachment_listener ON tmi.file_attachment FOR SELECT TO tmi_listener
    USING (tmi.listener_sees(target_id));

SELECT pg_catalog.pg_extension_config_dump('tmi.file_upload', '');
SELECT pg_catalog.pg_extension_config_dump('tmi.file_trash', '');
REVOKE ALL ON FUNCTION tmi.check_file(text, text, bigint, text), tmi.require_speaker(text), tmi.require_target(uuid),
    tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid), tmi.cancel_upload(uuid),
    tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb), tmi.detach_file(bigint), tmi.file_deleted(),
    tmi.target_files_deleted(), tmi.expire_uploads(), tmi.report_file_store(text, text, boolean, bigint, bigint, text), tmi.file_status()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.check_file(text, text, bigint, text), tmi.require_speaker(text), tmi.require_target(uuid),
    tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid), tmi.cancel_upload(uuid),
    tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb), tmi.detach_file(bigint), tmi.file_deleted(),
    tmi.target_files_deleted(), tmi.expire_uploads(), tmi.report_file_store(text, text, boolean, bigint, bigint, text), tmi.file_status()
    TO tmi_admin;
-- the checks run inside these functions, as their owner: speakers need no grant on them
GRANT EXECUTE ON FUNCTION tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid),
    tmi.cancel_upload(uuid), tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb), tmi.detach_file(bigint)
    TO tmi_speaker;
GRANT ALL ON tmi.file_upload, tmi.file_trash, tmi.file_store TO tmi_admin;
-- in the order 0.1 granted them (admin, speaker), so that a new and an updated database hold the same ACL
GRANT ALL ON tmi.file_attachment TO tmi_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON tmi.file_attachment TO tmi_speaker;
GRANT SELECT ON tmi.file_attachment TO tmi_listener;
-- end of Files

-------------------------------------------------------------------------------
-- Positions on a point index: a quad tree (SP-GiST) of (lon, lat) points
-- replaces the GiST index on 3-D cubes, which cost most of a position's write;
-- tmi.near searches it with boxes of degrees and measures each candidate exactly.
-------------------------------------------------------------------------------
DROP INDEX tmi.geo_trace_earth_idx;
-- tmi.near finds candidates in a box of degrees on this index, then measures each exactly. A
-- quad tree of 2-D points costs a fraction of a GiST index on 3-D cubes to keep up as positions
-- arrive (docs/BENCHMARKS.md, "Ingest pipeline"); pg_catalog.point needs no search_path to restore.
CREATE INDEX geo_trace_point_idx ON tmi.geo_trace USING spgist (point(lon, lat));

-- search_path is completed at the end of this script with the schema of earthdistance.
-- Candidates come from the point index on geo_trace, inside boxes of (lon, lat) degrees that hold
-- every point within the radius; each is then measured exactly: the great-circle distance on
-- earthdistance's sphere (earth()), as earth_distance gives it, by the haversine formula in built-in
-- arithmetic (earth_distance's own SQL functions are not inlined and cost far more per row).
CREATE OR REPLACE FUNCTION tmi.near(lat double precision, lon double precision, radius_m double precision,
                         kind text DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS TABLE (target_id uuid, name text, target_kind text, target_lat double precision,
               target_lon double precision, seen_at timestamptz, distance_m double precision)
LANGUAGE plpgsql STABLE
AS $fn$
#variable_conflict use_column
DECLARE
    -- each side of a box is widened by a nanodegree (under a millimetre), so that rounding never
    -- keeps out a point on the circle
    slack constant double precision := 1e-9;
    r constant double precision := earth();
    angle double precision;  -- the radius in radians of earthdistance's sphere
    south double precision;
    north double precision;
    span double precision;
    first box;
    second box;  -- only when the circle crosses the antimeridian
BEGIN
    PERFORM tmi.require(near.lat, 'lat', 'Pass the latitude of the centre in decimal degrees.');
    PERFORM tmi.require(near.lon, 'lon', 'Pass the longitude of the centre in decimal degrees.');
    PERFORM tmi.require(radius_m, 'radius_m', 'Pass the radius in metres.');
    IF near.lat NOT BETWEEN -90 AND 90 OR near.lon NOT BETWEEN -180 AND 180 THEN
        RAISE EXCEPTION 'centre out of range' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('lat = %s, lon = %s', near.lat, near.lon),
            HINT = 'lat lies in [-90, 90] and lon in [-180, 180], in decimal degrees (WGS 84).';
    END IF;
    IF radius_m <= 0 OR radius_m = 'Infinity' THEN
        RAISE EXCEPTION 'radius_m must be a positive number of metres' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('radius_m = %s', radius_m),
            HINT = 'Pass e.g. 500 for half a kilometre.';
    END IF;
    angle := radius_m / r;
    south := near.lat - degrees(angle) - slack;
    north := near.lat + degrees(angle) + slack;
    IF south <= -90 OR north >= 90 THEN
        -- a circle around a pole spans every longitude
        first := box(point(-180, greatest(south, -90)), point(180, least(north, 90)));
    ELSE
        -- the longitudes a spherical cap spans
        span := degrees(asin(least(sin(angle) / cos(radians(near.lat)), 1))) + slack;
        first := box(point(greatest(near.lon - span, -180), south), point(least(near.lon + span, 180), north));
        IF near.lon - span < -180 THEN
            second := box(point(near.lon - span + 360, south), point(180, north));
        ELSIF near.lon + span > 180 THEN
            second := box(point(-180, south), point(near.lon + span - 360, north));
        END IF;
    END IF;
    RETURN QUERY
    SELECT g.target_id, t.name, t.kind, g.lat, g.lon, g.ts, d.distance_m
      FROM tmi.geo_trace g
      JOIN tmi.target t ON t.target_id = g.target_id
     CROSS JOIN LATERAL (SELECT 2 * r * asin(least(1, sqrt(sin(radians(g.lat - near.lat) / 2) ^ 2
                + cos(radians(near.lat)) * cos(radians(g.lat)) * sin(radians(g.lon - near.lon) / 2) ^ 2))) AS distance_m) d
     WHERE (point(g.lon, g.lat) <@ first OR point(g.lon, g.lat) <@ second)
       AND d.distance_m <= radius_m
       AND (near.kind IS NULL OR t.kind = near.kind)
       AND (since IS NULL OR g.ts >= since)
       -- the latest position of each target only
       AND NOT EXISTS (SELECT 1 FROM tmi.geo_trace n WHERE n.target_id = g.target_id AND n.ts > g.ts)
     ORDER BY d.distance_m, g.target_id;
END
$fn$;
-- CREATE OR REPLACE resets the function's settings: pin earthdistance's schemas again
DO $geo_path$
DECLARE
    schemas text := (SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(n.nspname), ', ')
                       FROM pg_catalog.pg_extension e
                       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                      WHERE e.extname IN ('cube', 'earthdistance'));
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER FUNCTION tmi.near(double precision, double precision, double precision, text, timestamptz)'
        ' SET search_path = pg_catalog, %s', schemas);
END
$geo_path$;
-- end of Positions on a point index

-------------------------------------------------------------------------------
-- Storage migration (tmictl storage migrate): the two shapes of ts_obs become
-- functions, tmi.storage_mode() finds ts_obs by name, and the three steps of a
-- migration (see tmidb--0.2.sql, "Storage migration").
-------------------------------------------------------------------------------
-- The two shapes of ts_obs, for CREATE EXTENSION and for tmictl storage migrate (25-storage-migration.sql).
CREATE FUNCTION tmi.make_hypertable(rel regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    ts_schema name := (SELECT n.nspname
                         FROM pg_extension e
                         JOIN pg_namespace n ON n.oid = e.extnamespace
                        WHERE e.extname = 'timescaledb');
BEGIN
    -- the key and indexes are tmi.index_ts_obs's, not TimescaleDB's defaults
    EXECUTE format('SELECT %I.create_hypertable(%L::regclass, %L, partitioning_column => %L, number_partitions => 8,'
                   ' create_default_indexes => false)', ts_schema, rel, 'ts', 'target_id');
END
$fn$;
COMMENT ON FUNCTION tmi.make_hypertable(regclass) IS
    'Makes an empty table of ts_obs''s columns a TimescaleDB hypertable: by ts, and by target_id in 8 partitions';

CREATE FUNCTION tmi.add_default_partition(parent regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    EXECUTE format('CREATE TABLE tmi.ts_obs_default PARTITION OF %s DEFAULT', parent);
    PERFORM tmi.index_ts_obs('tmi.ts_obs_default');
    CREATE TRIGGER ts_obs_default_used AFTER INSERT ON tmi.ts_obs_default
        FOR EACH ROW EXECUTE FUNCTION tmi.default_partition_used();
END
$fn$;
COMMENT ON FUNCTION tmi.add_default_partition(regclass) IS
    'Gives a range-partitioned table of ts_obs''s columns its default partition, tmi.ts_obs_default';

REVOKE ALL ON FUNCTION tmi.make_hypertable(regclass), tmi.add_default_partition(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.make_hypertable(regclass), tmi.add_default_partition(regclass) TO tmi_admin;

CREATE OR REPLACE FUNCTION tmi.storage_mode()
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE WHEN c.relkind = 'p' THEN 'native' ELSE 'timescaledb' END
      FROM pg_catalog.pg_class c
     -- by name, not by a regclass constant: that would tie this function to the table, which
     -- tmictl storage migrate replaces
     WHERE c.relnamespace = 'tmi'::regnamespace AND c.relname = 'ts_obs';
END;
COMMENT ON FUNCTION tmi.storage_mode() IS
    'How ts_obs is stored: timescaledb (hypertable) or native (range partitions)';

-------------------------------------------------------------------------------
-- Storage migration: ts_obs from native partitions to a TimescaleDB hypertable
-- and back, with its rows, key and indexes, triggers, row-level security,
-- grants, and the views that read it (the api_vN views). tmictl storage
-- migrate runs the three steps in one transaction: begin (checks, holds off
-- writers, makes the new table in the other shape), copy (one partition or
-- chunk at a time, so that it can show progress), finish (the new table takes
-- the old one's place, with everything that hung on it). The rows are copied
-- while the new table has no trigger: a migration makes no events and merges
-- nothing. Anything it cannot carry over stops it, and nothing has changed.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.storage_migration_begin(target text)
RETURNS TABLE (source regclass, estimated_rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    mode text := tmi.storage_mode();
    other text;
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass ''hypertable'' or ''partitions''.');
    IF target NOT IN ('hypertable', 'partitions') THEN
        RAISE EXCEPTION 'unknown storage "%"', target USING ERRCODE = '22023',
            HINT = 'Pass ''hypertable'' (TimescaleDB) or ''partitions'' (native PostgreSQL partitions).';
    END IF;
    IF (target = 'hypertable') = (mode = 'timescaledb') THEN
        RAISE EXCEPTION 'ts_obs is already %', CASE mode WHEN 'timescaledb' THEN 'a TimescaleDB hypertable'
                                                    ELSE 'natively partitioned' END
            USING ERRCODE = '55000', DETAIL = format('tmi.storage_mode() is %s', mode),
                  HINT = 'Nothing to migrate; tmi.status() shows how ts_obs is stored.';
    END IF;
    IF target = 'hypertable' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
            RAISE EXCEPTION 'TimescaleDB is not installed in this PostgreSQL' USING ERRCODE = '55000',
                HINT = 'Install TimescaleDB for this PostgreSQL, restart the node (tmidbd adds it to'
                       ' shared_preload_libraries at start), then migrate.';
        END IF;
        IF NOT 'timescaledb' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) THEN
            RAISE EXCEPTION 'TimescaleDB is installed but the server has not loaded it' USING ERRCODE = '55000',
                DETAIL = format('shared_preload_libraries is ''%s''', current_setting('shared_preload_libraries')),
                HINT = 'Restart the node (tmidbd stop, tmidbd start): tmidbd adds timescaledb to shared_preload_libraries'
                       ' at start; tmictl status says when a restart is due.';
        END IF;
        CREATE EXTENSION IF NOT EXISTS timescaledb;
    END IF;
    -- what depends on ts_obs beyond its own parts and the views on it would be lost
    SELECT string_agg(pg_describe_object(d.classid, d.objid, d.objsubid), ', ') INTO other
      FROM pg_depend d
     WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = 'tmi.ts_obs'::regclass AND d.deptype = 'n'
       AND (d.classid = 'pg_proc'::regclass
            OR (d.classid = 'pg_constraint'::regclass
                AND (SELECT conrelid FROM pg_constraint WHERE oid = d.objid) <> 'tmi.ts_obs'::regclass)
            OR (d.classid = 'pg_policy'::regclass
                AND (SELECT polrelid FROM pg_policy WHERE oid = d.objid) <> 'tmi.ts_obs'::regclass)
            OR (d.classid = 'pg_trigger'::regclass
                AND (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid) <> 'tmi.ts_obs'::regclass));
    IF other IS NOT NULL THEN
        RAISE EXCEPTION 'objects outside ts_obs depend on it: %', other USING ERRCODE = '55000',
            HINT = 'Drop them, migrate, and create them again: the migration replaces ts_obs and moves only its'
                   ' own indexes, triggers, policies, grants and the views on it.';
    END IF;
    -- readers go on while rows are copied; writers wait until the migration commits
    LOCK TABLE tmi.ts_obs IN EXCLUSIVE MODE;
    IF target = 'hypertable' THEN
        CREATE TABLE tmi.ts_obs_migrating (LIKE tmi.ts_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
                                           INCLUDING COMMENTS);
        PERFORM tmi.make_hypertable('tmi.ts_obs_migrating');
    ELSE
        CREATE TABLE tmi.ts_obs_migrating (LIKE tmi.ts_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
                                           INCLUDING COMMENTS) PARTITION BY RANGE (ts);
        -- the rows land here; tmi.maintain_partitions() gives each week its partition at the end
        PERFORM tmi.add_default_partition('tmi.ts_obs_migrating');
    END IF;
    RETURN QUERY
        SELECT i.inhrelid::regclass, greatest(c.reltuples, 0)::bigint
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'tmi.ts_obs'::regclass
         ORDER BY c.relname;
END
$fn$;
COMMENT ON FUNCTION tmi.storage_migration_begin(text) IS
    'Step 1 of tmictl storage migrate: checks, holds off writers of ts_obs, makes tmi.ts_obs_migrating in the other shape';

CREATE FUNCTION tmi.storage_migration_copy(source regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    cols text;
    copied bigint;
BEGIN
    IF to_regclass('tmi.ts_obs_migrating') IS NULL THEN
        RAISE EXCEPTION 'no storage migration is under way in this transaction' USING ERRCODE = '55000',
            HINT = 'Call tmi.storage_migration_begin first, in the same transaction (tmictl storage migrate does).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = source AND inhparent = 'tmi.ts_obs'::regclass) THEN
        RAISE EXCEPTION '% is no partition or chunk of tmi.ts_obs', source USING ERRCODE = '22023',
            HINT = 'Pass one of the relations tmi.storage_migration_begin returned.';
    END IF;
    -- by name: a partition's columns may be in another order than its parent's
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute WHERE attrelid = 'tmi.ts_obs_migrating'::regclass AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('INSERT INTO tmi.ts_obs_migrating (%s) SELECT %s FROM ONLY %s', cols, cols, source);
    GET DIAGNOSTICS copied = ROW_COUNT;
    RETURN copied;
END
$fn$;
COMMENT ON FUNCTION tmi.storage_migration_copy(regclass) IS
    'Step 2 of tmictl storage migrate: copies the rows of one partition or chunk of ts_obs into tmi.ts_obs_migrating';

-- The statements that give a relation back its owner, comment, grants (in their order, so the ACL
-- reads as before) and triggers; pg_get_triggerdef names the relation, which keeps its name.
CREATE FUNCTION tmi.relation_extras(rel regclass, noun text)
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT array_cat(array_cat(
        ARRAY[format('ALTER %s %s OWNER TO %I', noun, rel, pg_get_userbyid(c.relowner)),
              format('COMMENT ON %s %s IS %L', noun, rel, obj_description(rel, 'pg_class'))],
        coalesce((SELECT array_agg(format('GRANT %s%s ON %s TO %s%s', g.privileges, g.cols, rel, g.grantee, g.option)
                                   ORDER BY g.attnum, g.first)
                    FROM (SELECT a.attnum, min(a.n) AS first,
                                 string_agg(a.privilege_type, ', ' ORDER BY a.n) AS privileges,
                                 CASE WHEN a.attnum = 0 THEN '' ELSE format(' (%I)', a.attname) END AS cols,
                                 CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
                                 CASE WHEN bool_or(a.is_grantable) THEN ' WITH GRANT OPTION' ELSE '' END AS option
                            FROM (SELECT 0 AS attnum, NULL::name AS attname, x.*
                                    FROM aclexplode(c.relacl) WITH ORDINALITY x (grantor, grantee, privilege_type, is_grantable, n)
                                  UNION ALL
                                  SELECT at.attnum, at.attname, x.*
                                    FROM pg_attribute at,
                                         aclexplode(at.attacl) WITH ORDINALITY x (grantor, grantee, privilege_type, is_grantable, n)
                                   WHERE at.attrelid = rel AND at.attnum > 0 AND NOT at.attisdropped) a
                           WHERE a.grantee <> c.relowner
                           GROUP BY a.attnum, a.attname, a.grantee) g), '{}')),
        coalesce((SELECT array_agg(pg_get_triggerdef(t.oid) ORDER BY t.tgname)
                    FROM pg_trigger t WHERE t.tgrelid = rel AND NOT t.tgisinternal), '{}'))
      FROM pg_class c WHERE c.oid = rel;
END;
COMMENT ON FUNCTION tmi.relation_extras(regclass, text) IS
    'Statements giving a relation (noun: TABLE, VIEW, MATERIALIZED VIEW) back its owner, comment, grants and triggers';

CREATE FUNCTION tmi.storage_migration_finish()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    old_rows bigint;
    new_rows bigint;
    restore text[];
    views text[];
    drops text[];
    stmt text;
    native boolean;
BEGIN
    IF to_regclass('tmi.ts_obs_migrating') IS NULL THEN
        RAISE EXCEPTION 'no storage migration is under way in this transaction' USING ERRCODE = '55000',
            HINT = 'Call tmi.storage_migration_begin first, in the same transaction (tmictl storage migrate does).';
    END IF;
    old_rows := (SELECT count(*) FROM tmi.ts_obs);
    new_rows := (SELECT count(*) FROM tmi.ts_obs_migrating);
    IF old_rows <> new_rows THEN
        RAISE EXCEPTION 'the new ts_obs holds % rows, the old one %', new_rows, old_rows USING ERRCODE = 'XX000',
            HINT = 'Copy every relation tmi.storage_migration_begin returned before finishing; nothing has changed.';
    END IF;
    native := (SELECT relkind = 'p' FROM pg_class WHERE oid = 'tmi.ts_obs_migrating'::regclass);

    -- what hangs on the old table: foreign keys, row-level security and its policies, owner, grants, triggers
    SELECT array_agg(format('ALTER TABLE tmi.ts_obs ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) ORDER BY conname)
      INTO restore FROM pg_constraint WHERE conrelid = 'tmi.ts_obs'::regclass AND contype = 'f';
    restore := coalesce(restore, '{}')
        || (SELECT ARRAY[CASE WHEN relrowsecurity THEN 'ALTER TABLE tmi.ts_obs ENABLE ROW LEVEL SECURITY' ELSE 'SELECT NULL' END,
                         CASE WHEN relforcerowsecurity THEN 'ALTER TABLE tmi.ts_obs FORCE ROW LEVEL SECURITY' ELSE 'SELECT NULL' END]
              FROM pg_class WHERE oid = 'tmi.ts_obs'::regclass)
        || coalesce((SELECT array_agg(format('CREATE POLICY %I ON tmi.ts_obs AS %s FOR %s TO %s%s%s', p.polname,
                                             CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                                             CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                                           WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                                             (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ')
                                                FROM unnest(p.polroles) r),
                                             coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
                                             coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
                                      ORDER BY p.polname)
                       FROM pg_policy p WHERE p.polrelid = 'tmi.ts_obs'::regclass), '{}')
        || tmi.relation_extras('tmi.ts_obs', 'TABLE');

    -- the views on it, and the views on those, recreated in the order they can be
    WITH RECURSIVE on_it (rel, depth) AS (
        SELECT r.ev_class, 1
          FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
           AND d.refobjid = 'tmi.ts_obs'::regclass AND r.ev_class <> 'tmi.ts_obs'::regclass
        UNION
        SELECT r.ev_class, o.depth + 1
          FROM on_it o JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = o.rel
          JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
         WHERE r.ev_class <> o.rel
    ), ordered AS (
        SELECT v.rel::regclass AS rel, max(v.depth) AS depth, c.relkind, c.reloptions,
               CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END AS noun,
               EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = v.rel
                          AND e.refclassid = 'pg_extension'::regclass AND e.deptype = 'e') AS member
          FROM on_it v JOIN pg_class c ON c.oid = v.rel
         GROUP BY v.rel, c.relkind, c.reloptions
    )
    SELECT array_agg(v.stmt ORDER BY v.depth, v.rel::oid, v.n),
           (SELECT array_agg(format('DROP %s %s', o.noun, o.rel) ORDER BY o.depth DESC, o.rel::oid DESC) FROM ordered o)
      INTO views, drops
      FROM (SELECT o.depth, o.rel, s.n, s.stmt
              FROM ordered o,
                   unnest(ARRAY[format('CREATE %s %s%s AS %s', o.noun, o.rel,
                                       coalesce(' WITH (' || array_to_string(o.reloptions, ', ') || ')', ''),
                                       rtrim(pg_get_viewdef(o.rel), ';'))]
                          || tmi.relation_extras(o.rel, o.noun)
                          || CASE WHEN o.member THEN ARRAY[format('ALTER EXTENSION tmidb ADD %s %s', o.noun, o.rel)]
                                  ELSE '{}'::text[] END) WITH ORDINALITY s (stmt, n)) v;
    FOREACH stmt IN ARRAY coalesce(drops, '{}') LOOP
        EXECUTE stmt;
    END LOOP;

    -- the old table goes (its partitions or chunks with it); the sequence of obs_id stays
    ALTER SEQUENCE tmi.ts_obs_obs_id_seq OWNED BY NONE;
    IF to_regclass('tmi.ts_obs_default') IS NOT NULL AND NOT native THEN
        ALTER EXTENSION tmidb DROP TABLE tmi.ts_obs_default;
    END IF;
    ALTER EXTENSION tmidb DROP TABLE tmi.ts_obs;
    DROP TABLE tmi.ts_obs;
    ALTER TABLE tmi.ts_obs_migrating RENAME TO ts_obs;
    ALTER SEQUENCE tmi.ts_obs_obs_id_seq OWNED BY tmi.ts_obs.obs_id;
    IF native THEN
        PERFORM tmi.maintain_partitions();
    ELSE
        PERFORM tmi.index_ts_obs('tmi.ts_obs');
    END IF;
    FOREACH stmt IN ARRAY restore LOOP
        EXECUTE stmt;
    END LOOP;
    -- members of the extension as CREATE EXTENSION makes them, so that pg_dump and restore treat them alike
    ALTER EXTENSION tmidb ADD TABLE tmi.ts_obs;
    IF native THEN
        -- as tmidb's privileges give every table of the extension to tmi_admin (22-privileges.sql)
        GRANT ALL ON tmi.ts_obs_default TO tmi_admin;
        ALTER EXTENSION tmidb ADD TABLE tmi.ts_obs_default;
        -- pg_extension_config_dump works only inside CREATE EXTENSION: its rows are dumped as it would mark them
        UPDATE pg_extension SET extconfig = extconfig || 'tmi.ts_obs_default'::regclass::oid,
                                extcondition = extcondition || ''::text
         WHERE extname = 'tmidb';
    END IF;
    FOREACH stmt IN ARRAY coalesce(views, '{}') LOOP
        EXECUTE stmt;
    END LOOP;
    RETURN format('ts_obs is %s: %s rows, %s %s, %s views recreated',
                  CASE WHEN native THEN 'natively partitioned' ELSE 'a TimescaleDB hypertable' END, new_rows,
                  (SELECT count(*) FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass),
                  CASE WHEN native THEN 'partitions' ELSE 'chunks' END, coalesce(array_length(drops, 1), 0));
END
$fn$;
COMMENT ON FUNCTION tmi.storage_migration_finish() IS
    'Step 3 of tmictl storage migrate: tmi.ts_obs_migrating replaces ts_obs, with its constraints, policies, grants, triggers and views';

REVOKE ALL ON FUNCTION tmi.storage_migration_begin(text), tmi.storage_migration_copy(regclass),
    tmi.relation_extras(regclass, text), tmi.storage_migration_finish() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.storage_migration_begin(text), tmi.storage_migration_copy(regclass),
    tmi.relation_extras(regclass, text), tmi.storage_migration_finish() TO tmi_admin;
-- end of Storage migration

-------------------------------------------------------------------------------
-- Engines installed later: tmi.use_host('pljava') creates the pljava extension
-- where PL/Java is installed, and says what is missing where it is not.
-------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION tmi.use_host(host text, jar_url text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    url text;
BEGIN
    PERFORM tmi.require(host, 'host', 'Pass ''worker'' or ''pljava''.');
    IF host NOT IN ('worker', 'pljava') THEN
        RAISE EXCEPTION 'unknown host "%"', host USING ERRCODE = '22023', HINT = 'Pass ''worker'' or ''pljava''.';
    END IF;
    IF host = 'pljava' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pljava') THEN
            IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pljava') THEN
                RAISE EXCEPTION 'PL/Java is not installed in this PostgreSQL' USING ERRCODE = '55000',
                    DETAIL = 'CREATE EXTENSION pljava finds no pljava.control in the server''s extension directory.',
                    HINT = 'Install PL/Java for this PostgreSQL (Debian: postgresql-15-pljava), start the node again'
                           ' (tmidbd writes pljava.libjvm_location), and call tmi.use_host(''pljava'') again; or keep the worker host.';
            END IF;
            IF coalesce(current_setting('pljava.libjvm_location', true), '') = '' THEN
                RAISE EXCEPTION 'PL/Java is installed but pljava.libjvm_location is not set' USING ERRCODE = '55000',
                    HINT = 'Start the node again: tmidbd writes the PL/Java settings of an installed PL/Java into tmi_db.conf;'
                           ' elsewhere, set pljava.libjvm_location to a Java 17 libjvm.so and reload.';
            END IF;
            CREATE EXTENSION pljava;
        END IF;
        url := coalesce(jar_url, 'file:' || (SELECT setting FROM pg_config WHERE name = 'SHAREDIR') || '/tmidb/tmidb-stored.jar');
        IF jar_url IS NULL AND pg_stat_file(substr(url, 6), true) IS NULL THEN
            RAISE EXCEPTION 'the stored logic''s jar is not installed' USING ERRCODE = '58P01',
                DETAIL = format('No file %s.', substr(url, 6)),
                HINT = 'tmidbd installs it with the extension files at start (tmidbd init or start, from a package or a'
                       ' build); or pass its URL: tmi.use_host(''pljava'', ''file:/path/tmidb-stored.jar'').';
        END IF;
        IF EXISTS (SELECT 1 FROM sqlj.jar_repository WHERE jarname = 'tmidb_stored') THEN
            PERFORM sqlj.replace_jar(url, 'tmidb_stored', false);
        ELSE
            PERFORM sqlj.install_jar(url, 'tmidb_stored', false);
        END IF;
        PERFORM sqlj.set_classpath('tmi', 'tmidb_stored');
        CREATE OR REPLACE FUNCTION tmi.j_process_raw(ids text) RETURNS void
            LANGUAGE javau SECURITY DEFINER AS 'io.tmidb.stored.PlJavaEntry.processRaw(java.lang.String)';
        CREATE OR REPLACE FUNCTION tmi.j_apply_schema(ids text) RETURNS void
            LANGUAGE javau SECURITY DEFINER AS 'io.tmidb.stored.PlJavaEntry.applySchema(java.lang.String)';
        CREATE OR REPLACE FUNCTION tmi.j_evaluate_alarms(ids text) RETURNS void
            LANGUAGE javau SECURITY DEFINER AS 'io.tmidb.stored.PlJavaEntry.evaluateAlarms(java.lang.String)';
        CREATE OR REPLACE FUNCTION tmi.mapping_preview(rule jsonb, payload jsonb) RETURNS jsonb
            LANGUAGE javau AS 'io.tmidb.stored.PlJavaEntry.preview(java.lang.String, java.lang.String)';
        -- members of the extension: pg_dump leaves them out, so a dump restores where PL/Java is absent
        IF NOT EXISTS (SELECT 1 FROM pg_depend WHERE objid = 'tmi.j_process_raw(text)'::regprocedure AND deptype = 'e') THEN
            ALTER EXTENSION tmidb ADD FUNCTION tmi.j_process_raw(text);
            ALTER EXTENSION tmidb ADD FUNCTION tmi.j_apply_schema(text);
            ALTER EXTENSION tmidb ADD FUNCTION tmi.j_evaluate_alarms(text);
        END IF;
    END IF;
    UPDATE tmi.config SET value = host WHERE key = 'host';
    RETURN host;
END
$fn$;
-- end of Engines installed later

-------------------------------------------------------------------------------
-- The relay verifies what its stream stores: a message it did not publish,
-- found under an event's message id, is recorded and raises tmi.status()'s
-- relay row to alarm.
-------------------------------------------------------------------------------
ALTER TABLE tmi.relay_cursor
    ADD COLUMN forged_messages      bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_forged_event_id bigint,
    ADD COLUMN last_forged_at       timestamptz,
    ADD COLUMN last_forged_detail   text;
COMMENT ON COLUMN tmi.relay_cursor.forged_messages IS
    'Messages found in the stream in place of an event, which the relay did not publish (see tmi.record_relay_forgery)';

-- A message in the relay's stream that the relay did not publish, found under the message id of
-- an event (so the stream dropped the real event as a duplicate): tmi.status() raises the alarm
-- until an admin clears it (UPDATE tmi.relay_cursor SET forged_messages = 0). The same event
-- found again is counted once.
CREATE FUNCTION tmi.record_relay_forgery(name text, event_id bigint, stream_sequence bigint, held text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the relay''s cursor name, e.g. ''nats''.');
    PERFORM tmi.require(event_id, 'event_id', 'Pass the id of the event whose message id the stream holds.');
    UPDATE tmi.relay_cursor r
       SET forged_messages = r.forged_messages
               + CASE WHEN r.last_forged_event_id = record_relay_forgery.event_id THEN 0 ELSE 1 END,
           last_forged_event_id = record_relay_forgery.event_id,
           last_forged_at = now(),
           last_forged_detail = pg_catalog.format('stream sequence %s: %s', stream_sequence, held)
     WHERE r.name = record_relay_forgery.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no relay cursor "%"', name USING ERRCODE = '42704',
            HINT = 'Pass the name of a row of tmi.relay_cursor.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.record_relay_forgery(text, bigint, bigint, text) IS
    'Records that a relay''s stream holds a message the relay did not publish in place of an event';
REVOKE ALL ON FUNCTION tmi.record_relay_forgery(text, bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.record_relay_forgery(text, bigint, bigint, text) TO tmi_admin;
-- end of the relay's verification

-------------------------------------------------------------------------------
-- Partition maintenance locks ts_obs while it moves parked rows into a new
-- partition: a statement planned over the partitions as they were and run after
-- the move saw neither the rows nor their partition.
-------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION tmi.maintain_partitions(ahead interval DEFAULT '4 weeks')
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    week      timestamptz;
    created   integer := 0;
    part      text;
    locked    boolean := false;
BEGIN
    IF ahead IS NULL OR ahead < interval '0' THEN
        RAISE EXCEPTION 'ahead must be a non-negative interval'
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('ahead = %s', ahead),
                  HINT = 'Pass how far ahead of now partitions should exist, e.g. ''4 weeks''.';
    END IF;
    IF tmi.storage_mode() <> 'native' THEN
        RETURN 0;  -- TimescaleDB creates chunks on demand
    END IF;
    -- one maintainer at a time; concurrent callers wait, then find the work done
    PERFORM pg_advisory_xact_lock(pg_catalog.hashtext('tmi.maintain_partitions'));

    FOR week IN
        SELECT w FROM generate_series(date_trunc('week', now() - interval '1 week'),
                                      now() + ahead, interval '1 week') AS w
        UNION
        SELECT DISTINCT date_trunc('week', ts) FROM tmi.ts_obs_default
        ORDER BY 1
    LOOP
        part := 'ts_obs_p' || to_char(week, 'YYYYMMDD');
        CONTINUE WHEN to_regclass('tmi.' || quote_ident(part)) IS NOT NULL;
        -- ATTACH alone locks ts_obs less strongly: a statement planned over the old partitions
        -- but run after this commits would see neither the moved rows nor their new partition
        IF NOT locked THEN
            LOCK TABLE tmi.ts_obs IN ACCESS EXCLUSIVE MODE;
            locked := true;
        END IF;
        -- rows already parked in the default partition move with the new range
        EXECUTE format('CREATE TABLE tmi.%I (LIKE tmi.ts_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        EXECUTE format('WITH moved AS (DELETE FROM tmi.ts_obs_default WHERE ts >= %L AND ts < %L RETURNING *)'
                       ' INSERT INTO tmi.%I SELECT * FROM moved',
                       week, week + interval '1 week', part);
        PERFORM tmi.index_ts_obs(('tmi.' || quote_ident(part))::regclass);
        EXECUTE format('ALTER TABLE tmi.ts_obs ATTACH PARTITION tmi.%I FOR VALUES FROM (%L) TO (%L)',
                       part, week, week + interval '1 week');
        created := created + 1;
    END LOOP;
    RETURN created;
END
$fn$;

-------------------------------------------------------------------------------
-- The worker's role, tmi_worker: a speaker with the tables and functions of
-- tmidb-worker's work (granted at the end of this script, once every function
-- exists), no admin and no superuser; tmidbd's login for the worker
-- (tmidb_worker) is a member of it. The DDL its work needs runs in functions
-- owned by the extension's owner: partitions (tmi.maintain_partitions,
-- tmi.apply_retention) and the API schemas where schema versions make their
-- views (tmi.prepare_api_schema); the views belong to tmi_worker.
-------------------------------------------------------------------------------
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'tmi_worker') THEN
        CREATE ROLE tmi_worker NOLOGIN;
    END IF;
END
$roles$;
ALTER FUNCTION tmi.maintain_partitions(interval) SECURITY DEFINER;
ALTER FUNCTION tmi.apply_retention() SECURITY DEFINER;

-- The API schema of a schema version, with the front door's /rpc functions: created when
-- missing, usable by tmiDB's roles. tmi_worker, which owns the views of new versions (tmi_admin
-- those made before 0.2), may create them there (a role must be allowed to create in a schema to
-- own an object of it).
CREATE FUNCTION tmi.prepare_api_schema(version integer)
RETURNS name
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    api name;
BEGIN
    IF version IS NULL OR version < 1 THEN
        RAISE EXCEPTION 'invalid schema version %', coalesce(version::text, 'NULL') USING ERRCODE = '22023',
            HINT = 'Pass a version of tmi.model_versions: 1 or more.';
    END IF;
    api := 'api_v' || version;
    EXECUTE pg_catalog.format('CREATE SCHEMA IF NOT EXISTS %I', api);
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO tmi_admin, tmi_speaker, tmi_listener, tmi_anon', api);
    EXECUTE pg_catalog.format('GRANT CREATE ON SCHEMA %I TO tmi_admin, tmi_worker', api);
    PERFORM tmi.install_api_functions(api);
    RETURN api;
END
$fn$;
COMMENT ON FUNCTION tmi.prepare_api_schema(integer) IS
    'Creates the API schema api_vN of a schema version when missing, with its /rpc functions; tmi_worker may create its views there';
REVOKE ALL ON FUNCTION tmi.prepare_api_schema(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.prepare_api_schema(integer) TO tmi_admin;
-- end of the worker's role

-------------------------------------------------------------------------------
-- Clients configure over REST: every api_vN has /rpc functions for connectors
-- (add, change, run at once, their documents), mapping rules (preview, suggest,
-- apply), listeners and their tokens, and a target's files, granted as the
-- functions they call (tmi.install_api_functions, above, makes them).
-------------------------------------------------------------------------------
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
REVOKE ALL ON FUNCTION tmi.run_connector(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.run_connector(text) TO tmi_admin;
-- end of Clients configure over REST

-------------------------------------------------------------------------------
-- Completing a presigned upload in one transaction: the gateway passes the size
-- and SHA-256 the store verified, and tmi.complete_upload locks the pending
-- upload, checks them against the declared ones and attaches the object.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.complete_upload(upload uuid, size_bytes bigint, sha256 text)
RETURNS tmi.file_attachment
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    up tmi.file_upload;
    f tmi.file_attachment;
BEGIN
    PERFORM tmi.require_speaker('upload files');
    SELECT * INTO up FROM tmi.file_upload u WHERE u.upload_id = upload AND u.expires_at > now() FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'upload % is unknown or expired', upload USING ERRCODE = '42704',
            HINT = 'Ask for a new upload (POST /files); an upload must be completed before it expires.';
    END IF;
    IF up.size_bytes IS DISTINCT FROM complete_upload.size_bytes OR up.sha256 IS DISTINCT FROM complete_upload.sha256 THEN
        RAISE EXCEPTION 'the object of upload % is not the file declared', upload USING ERRCODE = '22023',
            DETAIL = format('declared %s bytes with SHA-256 %s, the store has %s bytes with SHA-256 %s', up.size_bytes,
                            up.sha256, coalesce(complete_upload.size_bytes::text, 'NULL'), coalesce(complete_upload.sha256, 'NULL')),
            HINT = 'Pass the size and SHA-256 the store verified for the upload''s object.';
    END IF;
    SELECT * INTO f FROM tmi.attach_file(up.target_id, up.name, up.content_type, up.size_bytes, up.sha256, up.bucket, up.object_key);
    RETURN f;
END
$fn$;
COMMENT ON FUNCTION tmi.complete_upload(uuid, bigint, text) IS
    'Attaches the object of a pending upload, given the size and SHA-256 the store verified (42704 if unknown or expired, 22023 if they differ from the declared)';
REVOKE ALL ON FUNCTION tmi.complete_upload(uuid, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.complete_upload(uuid, bigint, text) TO tmi_admin;
-- the checks run inside it, as its owner
GRANT EXECUTE ON FUNCTION tmi.complete_upload(uuid, bigint, text) TO tmi_speaker;
-- end of completing a presigned upload

-------------------------------------------------------------------------------
-- Test fetches: tmi.test_connector asks tmidb-worker, on either host, to fetch
-- a connector once with the scheduled runs' own code and limits (connector-
-- allow-private and the others) and answer with the document raw_bucket would
-- get and its mapping rule's preview, the way a preview is asked (tmi.ask_worker,
-- a request of task 'fetch'). Nothing is stored and the run state stays as it
-- was, unlike tmi.run_connector.
-------------------------------------------------------------------------------
ALTER TABLE tmi.preview_request DROP CONSTRAINT preview_request_task,
    ADD CONSTRAINT preview_request_task CHECK (task IN ('preview', 'suggestion', 'fetch'));
COMMENT ON TABLE tmi.preview_request IS 'Previews, mapping suggestions and test fetches asked of tmidb-worker (a suggestion: payload holds the documents, newest first; a test fetch: source names the connector), and its answers';

CREATE FUNCTION tmi.test_connector(name text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the name of the connector to test.');
    IF NOT EXISTS (SELECT 1 FROM tmi.ingest_connector x WHERE x.name = test_connector.name) THEN
        RAISE EXCEPTION 'connector "%" does not exist', name USING ERRCODE = '42704',
            HINT = 'See SELECT name FROM tmi.connectors; create one with tmi.add_connector().';
    END IF;
    -- the worker reads the connector itself: its options (secrets among them) never travel
    RETURN tmi.ask_worker('fetch', NULL, '{}', name);
END
$fn$;
COMMENT ON FUNCTION tmi.test_connector(text) IS
    'Fetches a connector once, writing nothing: {connector, url, format, has_rule, http_status, content_type, document (as raw_bucket would store it), preview or preview_error} or, when the fetch fails, {connector, url, format, has_rule, error, error_code, http_status}';
-- connectors' URLs and secrets are admin business; tmidb-worker answers the request and never calls it
REVOKE ALL ON FUNCTION tmi.test_connector(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.test_connector(text) TO tmi_admin;
-- end of test fetches

-------------------------------------------------------------------------------
-- The worker's privileges (its role is made above): a speaker with the tables
-- and functions of tmidb-worker's work. It cannot read or change who may see
-- what (listeners, their subscriptions, tokens and the key that signs them),
-- how long data is kept, alarm rules, connectors' definitions or the stored
-- logic's host.
-------------------------------------------------------------------------------
GRANT tmi_speaker TO tmi_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    tmi.target, tmi.ts_obs, tmi.geo_trace, tmi.raw_bucket, tmi.kind_attr, tmi.model_versions,
    tmi.schema_pending, tmi.mapping_rule, tmi.stream_def, tmi.alarm_state, tmi.alarm_pending,
    tmi.alarm_event, tmi.event_log, tmi.relay_cursor, tmi.ingest_connector, tmi.preview_request,
    tmi.file_attachment, tmi.file_upload, tmi.file_trash, tmi.file_store
    TO tmi_worker;
-- what it reads but does not decide
GRANT SELECT ON tmi.alarm_rule, tmi.config, tmi.retention, tmi.retention_applied, tmi.connectors TO tmi_worker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA tmi TO tmi_worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tmi TO tmi_worker;
REVOKE EXECUTE ON FUNCTION
    tmi.add_listener(text), tmi.drop_listener(text), tmi.subscribe(text, uuid, text[]),
    tmi.subscribe(text, text, text[]), tmi.unsubscribe(text, uuid), tmi.unsubscribe(text, text),
    tmi.listener_scope(text), tmi.fields_of(text, uuid),
    tmi.issue_token(text, text, interval), tmi.issue_token(text, interval), tmi.revoke_tokens(text, text),
    tmi.revoke_tokens(text), tmi.jwt_secret(),
    tmi.set_retention(text, interval), tmi.add_alarm(text, text, text, double precision, double precision, interval, text, boolean),
    tmi.ack_alarm(bigint), tmi.add_connector(text, text, interval, text, jsonb, text), tmi.drop_connector(text),
    tmi.test_connector(text), tmi.use_host(text, text),
    tmi.storage_migration_begin(text), tmi.storage_migration_copy(regclass), tmi.storage_migration_finish()
    FROM tmi_worker;
