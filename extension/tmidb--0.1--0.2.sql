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
CREATE TRIGGER ts_obs_once BEFORE INSERT ON tmi.ts_obs FOR EACH ROW EXECUTE FUNCTION tmi.obs_once();

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
    SELECT 'relay', CASE WHEN max(r.seconds_behind) > 60 THEN 'attention' ELSE 'ok' END,
           CASE WHEN count(*) = 0 THEN 'no relay has run (tmidb-worker relays events to NATS JetStream)'
                ELSE string_agg(format('%s: %s events, %s s behind', r.name, r.events_behind,
                                       round(r.seconds_behind::numeric, 1)), '; ' ORDER BY r.name) END
      FROM tmi.relay_status() r;
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
-- What a caller may read, worked out once per statement: the api_vN views made
-- from now on read through tmi.caller_scope() instead of calling
-- tmi.visible_payload()/visible_meta() for every row.
-------------------------------------------------------------------------------
-- What the caller may read, worked out once per statement by the api_vN views (tmi.visible_meta
-- and tmi.visible_payload answer the same per row): NULL for speakers and admins (everything);
-- otherwise the request's listener's subscriptions, {"kinds": {kind: fields}, "targets": {id:
-- fields}}, fields being an array or null for all of them ({} for a caller who is no listener:
-- nothing).
CREATE FUNCTION tmi.caller_scope()
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT CASE WHEN tmi.caller_is_speaker() THEN NULL ELSE
           jsonb_build_object(
               'kinds', coalesce((SELECT jsonb_object_agg(k.kind, k.fields) FROM (
                   SELECT s.kind, CASE WHEN bool_or(s.fields IS NULL) THEN NULL
                                       ELSE coalesce(jsonb_agg(DISTINCT f.name) FILTER (WHERE f.name IS NOT NULL), '[]') END AS fields
                     FROM tmi.listener l JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
                     LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
                    WHERE l.name = tmi.current_listener() AND s.kind IS NOT NULL
                    GROUP BY s.kind) k), '{}'),
               'targets', coalesce((SELECT jsonb_object_agg(g.target_id, g.fields) FROM (
                   SELECT s.target_id, CASE WHEN bool_or(s.fields IS NULL) THEN NULL
                                            ELSE coalesce(jsonb_agg(DISTINCT f.name) FILTER (WHERE f.name IS NOT NULL), '[]') END AS fields
                     FROM tmi.listener l JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
                     LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
                    WHERE l.name = tmi.current_listener() AND s.target_id IS NOT NULL
                    GROUP BY s.target_id) g), '{}'))
           END;
END;
COMMENT ON FUNCTION tmi.caller_scope() IS
    'What the caller may read: NULL (all) for speakers and admins, else its listener''s subscribed kinds and targets with their fields';

-- per row, from a scope worked out once: cheap enough to inline
CREATE FUNCTION tmi.scope_sees(scope jsonb, kind text, target uuid)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT scope IS NULL OR (scope -> 'kinds') ? kind OR (scope -> 'targets') ? target::text;
END;
COMMENT ON FUNCTION tmi.scope_sees(jsonb, text, uuid) IS 'Whether a caller with this scope (tmi.caller_scope) sees a target';

CREATE FUNCTION tmi.scope_only(scope jsonb, kind text, target uuid, doc jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN scope IS NULL THEN doc
                WHEN NOT tmi.scope_sees(scope, kind, target) THEN NULL
                WHEN scope -> 'kinds' -> kind = 'null' OR scope -> 'targets' -> target::text = 'null' THEN doc
                ELSE tmi.only_fields(doc, ARRAY(SELECT jsonb_array_elements_text(
                         coalesce(scope -> 'kinds' -> kind, '[]') || coalesce(scope -> 'targets' -> target::text, '[]'))))
           END;
END;
COMMENT ON FUNCTION tmi.scope_only(jsonb, text, uuid, jsonb) IS
    'The fields of doc (a target''s attributes or an observation) that a caller with this scope may read, NULL when it sees none';

REVOKE ALL ON FUNCTION tmi.caller_scope(), tmi.scope_sees(jsonb, text, uuid), tmi.scope_only(jsonb, text, uuid, jsonb)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.caller_scope(), tmi.scope_sees(jsonb, text, uuid), tmi.scope_only(jsonb, text, uuid, jsonb)
    TO tmi_admin, tmi_listener, tmi_anon;

-------------------------------------------------------------------------------
-- The front door over REST: /rpc/ingest, observe, near, target_id,
-- events_since, status and series in every api_vN (tmi.install_api_functions),
-- including the versions made by 0.1.
-------------------------------------------------------------------------------
-- A downsampled series: one numeric field of one target averaged per interval (date_bin, so
-- the same on native partitions and on a hypertable), within what the caller may read.
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
    RETURN QUERY
    SELECT date_bin(bucket, o.ts, timestamptz '2000-01-01 00:00Z'), avg(v), min(v), max(v), count(*)
      FROM tmi.ts_obs o, LATERAL (SELECT (o.payload ->> field)::double precision AS v) x
     WHERE o.target_id = target AND o.ts >= since AND o.ts < until AND jsonb_typeof(o.payload -> field) = 'number'
     GROUP BY 1 ORDER BY 1;
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
         ' last_error text, consecutive_failures integer, next_run timestamptz) STABLE', 'SELECT * FROM tmi.connectors',
         'tmi_speaker'),
        -- alarms as the caller may read them (tmi.alarms), acknowledged by admins (tmi.ack_alarm)
        ('alarms(target uuid DEFAULT NULL, history boolean DEFAULT false) RETURNS TABLE (alarm_id bigint, target_id uuid,'
         ' kind text, name text, ext_key text, field text, op text, threshold double precision, severity text, state text,'
         ' value double precision, raised_at timestamptz, acked_at timestamptz, cleared_at timestamptz) STABLE',
         'SELECT * FROM tmi.alarms(target, history)', 'tmi_listener'),
        ('ack_alarm(alarm_id bigint) RETURNS void VOLATILE', 'SELECT tmi.ack_alarm(alarm_id)', 'tmi_admin'),
        ('schema_history(kind text) RETURNS TABLE (version integer, change text, diff jsonb, attrs jsonb,'
         ' created_at timestamptz) STABLE', 'SELECT * FROM tmi.schema_history(kind)', 'tmi_listener')
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
    'Creates the front door''s /rpc functions (ingest, observe, near, target_id, events_since, status, series, connectors, alarms, ack_alarm, schema_history) in an API schema';

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
