-- SPDX-License-Identifier: MIT
-- tmiDB 0.2: schema tmi, its tables, roles and the SQL front door (the full script; 0.1
-- databases take tmidb--0.1--0.2.sql).
\echo Use "CREATE EXTENSION tmidb CASCADE" to load this file. \quit

CREATE SCHEMA tmi;
COMMENT ON SCHEMA tmi IS 'tmiDB: everything known about targets';

-------------------------------------------------------------------------------
-- Roles (cluster-wide, so they are created only when missing and survive
-- DROP EXTENSION; other databases of the cluster may use them).
-------------------------------------------------------------------------------
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['tmi_admin', 'tmi_speaker', 'tmi_listener', 'tmi_anon'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    GRANT tmi_speaker TO tmi_admin;
    GRANT tmi_listener TO tmi_speaker;
END
$roles$;

-------------------------------------------------------------------------------
-- Geography. earthdistance's ll_to_earth has a text body that is parsed with
-- the caller's search_path, even when inlined into an index expression, and
-- pg_restore empties search_path: an index on it cannot be rebuilt from a
-- dump. This is the same formula with an SQL-standard body, bound to cube's
-- functions at creation, so the GiST index below restores anywhere.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.ll_to_earth(lat double precision, lon double precision)
RETURNS earth
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT cube(cube(cube(earth() * cos(radians(lat)) * cos(radians(lon))),
                     earth() * cos(radians(lat)) * sin(radians(lon))),
                earth() * sin(radians(lat)))::earth;
END;
COMMENT ON FUNCTION tmi.ll_to_earth(double precision, double precision) IS
    'earthdistance''s ll_to_earth bound at creation time, safe in index expressions that pg_restore rebuilds';

-------------------------------------------------------------------------------
-- Core tables
-------------------------------------------------------------------------------
CREATE TABLE tmi.target (
    target_id  uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    kind       text        NOT NULL DEFAULT 'thing'
               CONSTRAINT target_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
    name       text        NOT NULL CONSTRAINT target_name_not_empty CHECK (name <> ''),
    ext_key    text,
    meta       jsonb       NOT NULL DEFAULT '{}'
               CONSTRAINT target_meta_object CHECK (pg_catalog.jsonb_typeof(meta) = 'object'),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT target_kind_ext_key_key UNIQUE (kind, ext_key)
);
COMMENT ON TABLE tmi.target IS 'Things tmiDB knows about; meta holds the latest value of each attribute';
CREATE INDEX target_meta_idx ON tmi.target USING gin (meta jsonb_path_ops);

CREATE TABLE tmi.geo_trace (
    target_id uuid             NOT NULL REFERENCES tmi.target (target_id),
    ts        timestamptz      NOT NULL,
    lat       double precision NOT NULL CONSTRAINT geo_trace_lat_range CHECK (lat BETWEEN -90 AND 90),
    lon       double precision NOT NULL CONSTRAINT geo_trace_lon_range CHECK (lon BETWEEN -180 AND 180),
    PRIMARY KEY (target_id, ts)
);
COMMENT ON TABLE tmi.geo_trace IS 'Positions of targets over time';
CREATE INDEX geo_trace_earth_idx ON tmi.geo_trace USING gist (tmi.ll_to_earth(lat, lon));

CREATE TABLE tmi.ingest_connector (
    connector_id         bigserial   PRIMARY KEY,
    name                 text        NOT NULL UNIQUE,
    url                  text        NOT NULL,
    every                interval    NOT NULL,
    format               text        NOT NULL,
    options              jsonb       NOT NULL DEFAULT '{}',
    enabled              boolean     NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_success         timestamptz,
    last_error           text,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    next_run             timestamptz NOT NULL DEFAULT pg_catalog.now(),
    last_attempt         timestamptz,
    last_status          integer,
    -- validators of the last document stored, sent back for a conditional GET
    etag                 text,
    last_modified        text
);
COMMENT ON TABLE tmi.ingest_connector IS 'URLs that tmiDB fetches on a schedule into raw_bucket';

CREATE TABLE tmi.raw_bucket (
    raw_id       bigserial   PRIMARY KEY,
    ts           timestamptz NOT NULL DEFAULT pg_catalog.now(),
    source       text        NOT NULL,
    connector_id bigint      REFERENCES tmi.ingest_connector (connector_id) ON DELETE SET NULL,
    payload      jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'pending'
                 CONSTRAINT raw_bucket_status CHECK (status IN ('pending', 'mapped', 'unmapped', 'failed')),
    error        text,
    counts       jsonb,
    processed_at timestamptz,
    http_status  integer,
    content_type text
);
COMMENT ON TABLE tmi.raw_bucket IS 'Every document a speaker or connector delivered, as received';
COMMENT ON COLUMN tmi.raw_bucket.status IS
    'pending: waits for the mapping rules; mapped: all items mapped; failed: see error (good items are kept); unmapped: no rule for its source';
COMMENT ON COLUMN tmi.raw_bucket.counts IS 'What mapping produced: items, failed_items, observations, positions';
CREATE INDEX raw_bucket_open_idx ON tmi.raw_bucket (status, raw_id) WHERE status IN ('pending', 'failed');
CREATE INDEX raw_bucket_source_idx ON tmi.raw_bucket (source, ts);

CREATE TABLE tmi.model_versions (
    kind       text        NOT NULL,
    version    integer     NOT NULL CONSTRAINT model_versions_positive CHECK (version > 0),
    attrs      jsonb       NOT NULL,
    diff       jsonb       NOT NULL DEFAULT '{}',
    change     text        NOT NULL CONSTRAINT model_versions_change CHECK (change IN ('initial', 'additive', 'breaking')),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (kind, version)
);
COMMENT ON TABLE tmi.model_versions IS 'Attribute set of each kind, one row per schema version';

CREATE TABLE tmi.mapping_rule (
    rule_id    bigserial   PRIMARY KEY,
    source     text        NOT NULL UNIQUE,
    rule       jsonb       NOT NULL,
    enabled    boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.mapping_rule IS 'How raw documents of a source become targets, observations and positions (one rule per source)';

CREATE TABLE tmi.alarm_rule (
    rule_id      bigserial   PRIMARY KEY,
    scope_kind   text,
    scope_target uuid        REFERENCES tmi.target (target_id) ON DELETE CASCADE,
    field        text        NOT NULL,
    op           text        NOT NULL CONSTRAINT alarm_rule_op CHECK (op IN ('>', '>=', '<', '<=', '=', '<>')),
    threshold    double precision NOT NULL,
    clear_at     double precision,
    for_duration interval    NOT NULL DEFAULT '0',
    severity     text        NOT NULL DEFAULT 'warning'
                 CONSTRAINT alarm_rule_severity CHECK (severity IN ('info', 'warning', 'critical')),
    enabled      boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT alarm_rule_one_scope CHECK ((scope_kind IS NULL) <> (scope_target IS NULL))
);
COMMENT ON TABLE tmi.alarm_rule IS 'Thresholds evaluated on new observations';

CREATE TABLE tmi.alarm_event (
    alarm_id    bigserial   PRIMARY KEY,
    rule_id     bigint      NOT NULL REFERENCES tmi.alarm_rule (rule_id) ON DELETE CASCADE,
    target_id   uuid        NOT NULL REFERENCES tmi.target (target_id) ON DELETE CASCADE,
    state       text        NOT NULL CONSTRAINT alarm_event_state CHECK (state IN ('active', 'acknowledged', 'cleared')),
    value       double precision,
    raised_at   timestamptz NOT NULL,
    acked_at    timestamptz,
    cleared_at  timestamptz
);
COMMENT ON TABLE tmi.alarm_event IS 'Alarm lifecycle: active, acknowledged, cleared';
-- at most one open alarm per rule and target
CREATE UNIQUE INDEX alarm_event_open_key ON tmi.alarm_event (rule_id, target_id) WHERE state <> 'cleared';

CREATE TABLE tmi.listener (
    listener_id bigserial   PRIMARY KEY,
    name        text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.listener IS 'Readers of tmiDB data';

CREATE TABLE tmi.listener_subscription (
    subscription_id bigserial PRIMARY KEY,
    listener_id     bigint    NOT NULL REFERENCES tmi.listener (listener_id) ON DELETE CASCADE,
    target_id       uuid      REFERENCES tmi.target (target_id) ON DELETE CASCADE,
    kind            text,
    fields          text[],
    CONSTRAINT listener_subscription_one_scope CHECK ((target_id IS NULL) <> (kind IS NULL))
);
COMMENT ON TABLE tmi.listener_subscription IS 'What each listener may read: a target or a kind, all or some fields';
CREATE INDEX listener_subscription_listener_idx ON tmi.listener_subscription (listener_id);

CREATE TABLE tmi.stream_def (
    stream_id  bigserial   PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    filter     jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.stream_def IS 'Named event streams (filters over event_log) offered to listeners';

-- Writers append rows (log_id, in allocation order); tmi.sequence_events() later gives each
-- committed row its event_id, in commit order, without gaps. Consumers read by event_id only.
CREATE TABLE tmi.event_log (
    log_id     bigserial   PRIMARY KEY,
    event_id   bigint      UNIQUE,
    xid        xid8        NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    ts         timestamptz NOT NULL DEFAULT pg_catalog.now(),
    event_type text        NOT NULL,
    kind       text,
    target_id  uuid,
    payload    jsonb       NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE tmi.event_log IS 'Transactional outbox: every change a listener could care about';
-- in numbering order; a turn reads only xids above the last numbered one, past its dead entries
CREATE INDEX event_log_unsequenced_idx ON tmi.event_log (xid, log_id) WHERE event_id IS NULL;

CREATE TABLE tmi.file_attachment (
    file_id      bigserial   PRIMARY KEY,
    target_id    uuid        NOT NULL REFERENCES tmi.target (target_id) ON DELETE CASCADE,
    bucket       text        NOT NULL,
    object_key   text        NOT NULL,
    content_type text,
    size_bytes   bigint      CONSTRAINT file_attachment_size CHECK (size_bytes >= 0),
    sha256       text,
    meta         jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (bucket, object_key)
);
COMMENT ON TABLE tmi.file_attachment IS 'Files about a target kept in object storage; only metadata lives here';
CREATE INDEX file_attachment_target_idx ON tmi.file_attachment (target_id, created_at);

-------------------------------------------------------------------------------
-- Time series. With TimescaleDB in this database, ts_obs is a hypertable;
-- otherwise it is range-partitioned by ts with a default partition, so an
-- insert at any time succeeds and tmi.maintain_partitions() later moves such
-- rows into their own partitions. A reading is identified by (target_id, ts),
-- the key, which holds a hypertable's partitioning columns as TimescaleDB requires.
--
-- Native partitions carry their own indexes and the parent has none: the
-- parent belongs to the extension, which pg_dump does not dump, so indexes
-- inherited from it would be created twice on restore (once by ATTACH
-- PARTITION, once from the partition's dumped definition). Since ts decides
-- the partition, a key per partition is unique across the table.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.index_ts_obs(rel regclass)
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

DO $ts_obs$
DECLARE
    ts_schema name := (SELECT n.nspname
                         FROM pg_catalog.pg_extension e
                         JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                        WHERE e.extname = 'timescaledb');
    columns text := $cols$
        target_id uuid        NOT NULL REFERENCES tmi.target (target_id),
        ts        timestamptz NOT NULL,
        obs_id    bigserial   NOT NULL,
        payload   jsonb       NOT NULL
                  CONSTRAINT ts_obs_payload_object CHECK (pg_catalog.jsonb_typeof(payload) = 'object'),
        raw_id    bigint,
        raw_item  integer
    $cols$;
BEGIN
    IF ts_schema IS NOT NULL THEN
        EXECUTE pg_catalog.format('CREATE TABLE tmi.ts_obs (%s)', columns);
        PERFORM tmi.index_ts_obs('tmi.ts_obs');
        -- while TimescaleDB restores a dump, its restored catalog makes ts_obs a hypertable again
        IF coalesce(pg_catalog.current_setting('timescaledb.restoring', true), 'off') <> 'on' THEN
            EXECUTE pg_catalog.format(
                'SELECT %I.create_hypertable(%L::regclass, %L, partitioning_column => %L, number_partitions => 8)',
                ts_schema, 'tmi.ts_obs', 'ts', 'target_id');
        END IF;
    ELSE
        EXECUTE pg_catalog.format('CREATE TABLE tmi.ts_obs (%s) PARTITION BY RANGE (ts)', columns);
        CREATE TABLE tmi.ts_obs_default PARTITION OF tmi.ts_obs DEFAULT;
        PERFORM tmi.index_ts_obs('tmi.ts_obs_default');
        PERFORM pg_catalog.pg_extension_config_dump('tmi.ts_obs_default', '');
        CREATE TRIGGER ts_obs_default_used AFTER INSERT ON tmi.ts_obs_default
            FOR EACH ROW EXECUTE FUNCTION tmi.default_partition_used();
    END IF;
END
$ts_obs$;
COMMENT ON TABLE tmi.ts_obs IS 'Observations: one JSON document per target and time';

-------------------------------------------------------------------------------
-- Readings stored once. A reading (an observation or a position) is identified
-- by its target and time. Delivered again, by any writer (tmi.observe, mapping,
-- REST, a plain INSERT or COPY), it stores no new row: an identical reading is
-- dropped without a trace, a different one corrects the stored row, which its
-- UPDATE triggers announce ('obs.corrected', 'position.corrected') and hand to
-- the alarms again. Observations merge field by field, the newer document's
-- fields winning; positions are replaced. Rows are checked one by one in a
-- BEFORE trigger so that rows earlier in the same statement count as stored.
-------------------------------------------------------------------------------
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

CREATE FUNCTION tmi.storage_mode()
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT CASE WHEN c.relkind = 'p' THEN 'native' ELSE 'timescaledb' END
      FROM pg_catalog.pg_class c
     WHERE c.oid = 'tmi.ts_obs'::regclass;
END;
COMMENT ON FUNCTION tmi.storage_mode() IS
    'How ts_obs is stored: timescaledb (hypertable) or native (range partitions)';

CREATE FUNCTION tmi.maintain_partitions(ahead interval DEFAULT '4 weeks')
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    week      timestamptz;
    created   integer := 0;
    part      text;
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
COMMENT ON FUNCTION tmi.maintain_partitions(interval) IS
    'Creates weekly ts_obs partitions from last week to now + ahead and for rows parked in the default partition';

-------------------------------------------------------------------------------
-- Errors. Standard SQLSTATEs: 22004 null value, 22023 invalid parameter value,
-- 42704 undefined object, 23505 duplicate, 54000 limit exceeded.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.require(value anyelement, what text, hint text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be null', what USING ERRCODE = '22004', HINT = hint;
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.require(anyelement, text, text) IS 'Raises 22004 with a hint when value is null';

CREATE FUNCTION tmi.require_object(doc jsonb, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(doc, what, pg_catalog.format('Pass a JSON object as %s, e.g. ''{}''.', what));
    IF jsonb_typeof(doc) <> 'object' THEN
        RAISE EXCEPTION '% must be a JSON object', what
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('%s is a JSON %s: %s', what, jsonb_typeof(doc), left(doc::text, 200)),
                  HINT = pg_catalog.format('Wrap the value in an object, e.g. ''{"value": ...}''.');
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.require_object(jsonb, text) IS 'Raises 22004/22023 unless doc is a JSON object';

-------------------------------------------------------------------------------
-- The SQL front door
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.add_target(name text, kind text DEFAULT 'thing', meta jsonb DEFAULT '{}', ext_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id uuid;
BEGIN
    PERFORM tmi.require(name, 'name', 'Give the target a human-readable name.');
    PERFORM tmi.require(kind, 'kind', 'Pass a kind such as ''bike'' or ''sensor''.');
    PERFORM tmi.require_object(meta, 'meta');
    IF name = '' THEN
        RAISE EXCEPTION 'name must not be empty' USING ERRCODE = '22023',
            HINT = 'Give the target a human-readable name.';
    END IF;
    IF kind !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid kind "%"', kind USING ERRCODE = '22023',
            DETAIL = 'A kind names API views, so it must be a lower-case SQL identifier.',
            HINT = 'Use lower-case letters, digits and underscores, starting with a letter, e.g. ''air_sensor''.';
    END IF;
    IF ext_key = '' THEN
        RAISE EXCEPTION 'ext_key must not be empty' USING ERRCODE = '22023',
            HINT = 'Pass NULL when the source has no identifier for this target.';
    END IF;
    INSERT INTO tmi.target AS t (name, kind, meta, ext_key)
    VALUES (add_target.name, add_target.kind, add_target.meta, add_target.ext_key)
    ON CONFLICT (kind, ext_key) DO UPDATE
        SET name = EXCLUDED.name, meta = t.meta || EXCLUDED.meta, updated_at = now()
    RETURNING t.target_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_target(text, text, jsonb, text) IS
    'Creates a target, or updates the one with the same (kind, ext_key): new name, meta merged. Returns its id.';

CREATE FUNCTION tmi.target_id(kind text, ext_key text)
RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id uuid;
BEGIN
    SELECT t.target_id INTO id FROM tmi.target t WHERE t.kind = target_id.kind AND t.ext_key = target_id.ext_key;
    IF id IS NULL THEN
        RAISE EXCEPTION 'target %/% does not exist', kind, ext_key USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target(name, kind, meta, ext_key).';
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.target_id(text, text) IS 'The id of the target with this kind and external key';

CREATE FUNCTION tmi.observe(target uuid, ts timestamptz, payload jsonb,
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

-- search_path is completed at the end of this script with the schema of earthdistance
CREATE FUNCTION tmi.near(lat double precision, lon double precision, radius_m double precision,
                         kind text DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS TABLE (target_id uuid, name text, target_kind text, target_lat double precision,
               target_lon double precision, seen_at timestamptz, distance_m double precision)
LANGUAGE plpgsql STABLE
AS $fn$
#variable_conflict use_column
DECLARE
    center earth;
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
    center := tmi.ll_to_earth(near.lat, near.lon);
    RETURN QUERY
    SELECT g.target_id, t.name, t.kind, g.lat, g.lon, g.ts, d.distance_m
      FROM tmi.geo_trace g
      JOIN tmi.target t ON t.target_id = g.target_id
     CROSS JOIN LATERAL (SELECT earth_distance(center, tmi.ll_to_earth(g.lat, g.lon)) AS distance_m) d
     WHERE earth_box(center, radius_m) @> tmi.ll_to_earth(g.lat, g.lon)
       AND d.distance_m <= radius_m
       AND (near.kind IS NULL OR t.kind = near.kind)
       AND (since IS NULL OR g.ts >= since)
       -- the latest position of each target only
       AND NOT EXISTS (SELECT 1 FROM tmi.geo_trace n WHERE n.target_id = g.target_id AND n.ts > g.ts)
     ORDER BY d.distance_m, g.target_id;
END
$fn$;
COMMENT ON FUNCTION tmi.near(double precision, double precision, double precision, text, timestamptz) IS
    'Targets whose latest position lies within radius_m metres of (lat, lon), nearest first';

CREATE FUNCTION tmi.add_connector(name text, url text, every interval DEFAULT '1 minute',
                                  format text DEFAULT 'json', options jsonb DEFAULT '{}')
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
    IF EXISTS (SELECT 1 FROM tmi.ingest_connector c WHERE c.name = add_connector.name) THEN
        RAISE EXCEPTION 'connector "%" already exists', name USING ERRCODE = '23505',
            HINT = 'Choose another name, or change it with tmi.set_connector().';
    END IF;
    INSERT INTO tmi.ingest_connector (name, url, every, format, options)
    VALUES (add_connector.name, add_connector.url, add_connector.every, add_connector.format, add_connector.options)
    RETURNING connector_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_connector(text, text, interval, text, jsonb) IS
    'Registers a URL that tmiDB fetches every interval into raw_bucket. Returns the connector id.';

CREATE FUNCTION tmi.max_payload_bytes()
RETURNS bigint
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(nullif(pg_catalog.current_setting('tmi.max_payload_bytes', true), '')::bigint, 16777216);
END;
COMMENT ON FUNCTION tmi.max_payload_bytes() IS
    'Largest raw document tmi.ingest accepts: setting tmi.max_payload_bytes, default 16 MiB';

CREATE FUNCTION tmi.ingest(source text, payload jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id    bigint;
    size  bigint;
    limit_bytes bigint := tmi.max_payload_bytes();
BEGIN
    PERFORM tmi.require(source, 'source', 'Name where the document comes from: a connector name or a label.');
    PERFORM tmi.require(payload, 'payload', 'Pass the document as jsonb.');
    IF source = '' THEN
        RAISE EXCEPTION 'source must not be empty' USING ERRCODE = '22023',
            HINT = 'Name where the document comes from: a connector name or a label.';
    END IF;
    size := octet_length(payload::text);
    IF size > limit_bytes THEN
        RAISE EXCEPTION 'payload too large' USING ERRCODE = '54000',
            DETAIL = pg_catalog.format('The document has %s bytes; the limit is %s.', size, limit_bytes),
            HINT = 'Split the document, or raise the setting tmi.max_payload_bytes.';
    END IF;
    INSERT INTO tmi.raw_bucket (source, connector_id, payload)
    VALUES (source, (SELECT c.connector_id FROM tmi.ingest_connector c WHERE c.name = ingest.source), payload)
    RETURNING raw_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.ingest(text, jsonb) IS
    'Stores a raw document from a speaker in raw_bucket for the mapping rules. Returns its raw_id.';

-- as its owner: speakers and listeners may read the summary, not the tables behind it
CREATE FUNCTION tmi.status()
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

    RETURN QUERY SELECT * FROM tmi.file_status();
END
$fn$;
COMMENT ON FUNCTION tmi.status() IS 'One row per tmiDB subsystem with its state';

-------------------------------------------------------------------------------
-- Events. Triggers append to event_log in the writer's transaction and wake
-- consumers with pg_notify('tmi_event', <log_id>) (ids only: NOTIFY payloads are
-- limited to 8000 bytes).
--
-- Sequence ids are handed out when rows are inserted, not when their
-- transactions commit, so reading "everything after id N" would miss a row of a
-- slow transaction with an id below N. tmi.sequence_events() therefore numbers
-- rows only once no transaction that could still add an earlier row is running
-- (its xid is below the oldest running xid): event_ids grow in the order events
-- become visible, without gaps, and a cursor never skips one.
--
-- Within a turn rows are numbered by (xid, log_id). Every row of a later turn has
-- an xid at or above the earlier turn's horizon, so an event's id is its rank in
-- (xid, log_id) order over all numbered events, whatever the turns were: a turn
-- whose commit is lost in a crash is numbered again with the same ids. Dedicated
-- readers may thus commit their turns without waiting for the WAL flush.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.sequence_events()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
SET lock_timeout = '100ms'
AS $fn$
DECLARE
    numbered integer;
    horizon xid8;
    last_id bigint;
    last_xid xid8;
BEGIN
    -- one sequencer at a time; a caller that waited in vain reads what is numbered already
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('tmi.sequence_events'));
    EXCEPTION WHEN lock_not_available THEN
        RETURN 0;
    END;
    horizon := pg_snapshot_xmin(pg_current_snapshot());
    SELECT e.event_id, e.xid INTO last_id, last_xid FROM tmi.event_log e
     WHERE e.event_id IS NOT NULL ORDER BY e.event_id DESC LIMIT 1;
    -- every row left unnumbered has a newer xid than the last numbered one; after a restore
    -- into another cluster xids may restart lower, and then all unnumbered rows are read
    IF last_xid IS NULL OR last_xid >= horizon THEN
        last_xid := '0'::xid8;
    END IF;
    WITH ready AS (
        SELECT u.log_id, row_number() OVER (ORDER BY u.xid, u.log_id) AS n
          FROM tmi.event_log u
         WHERE u.event_id IS NULL AND u.xid > last_xid AND u.xid < horizon
    )
    UPDATE tmi.event_log e SET event_id = coalesce(last_id, 0) + ready.n
      FROM ready
     WHERE e.log_id = ready.log_id;
    GET DIAGNOSTICS numbered = ROW_COUNT;
    RETURN numbered;
END
$fn$;
COMMENT ON FUNCTION tmi.sequence_events() IS
    'Gives committed events their event_id in visibility order; returns how many it numbered';

CREATE FUNCTION tmi.events_since(after_id bigint DEFAULT 0, max_events integer DEFAULT 1000)
RETURNS TABLE (event_id bigint, ts timestamptz, event_type text, kind text, target_id uuid, payload jsonb)
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(after_id, 'after_id', 'Pass the last event id you have seen, or 0 for the oldest kept.');
    IF max_events IS NULL OR max_events < 1 THEN
        RAISE EXCEPTION 'max_events must be a positive number' USING ERRCODE = '22023',
            DETAIL = format('max_events = %s', coalesce(max_events::text, 'NULL')),
            HINT = 'Pass how many events to return at most, e.g. 1000.';
    END IF;
    PERFORM tmi.sequence_events();
    RETURN QUERY
    SELECT e.event_id, e.ts, e.event_type, e.kind, e.target_id, e.payload
      FROM tmi.event_log e
     WHERE e.event_id > after_id
     ORDER BY e.event_id
     LIMIT max_events;
END
$fn$;
COMMENT ON FUNCTION tmi.events_since(bigint, integer) IS
    'Events after after_id in the order they committed, at most max_events';

CREATE FUNCTION tmi.notify_events(last_log_id bigint)
RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    SELECT pg_catalog.pg_notify('tmi_event', last_log_id::text) WHERE last_log_id IS NOT NULL;
END;
COMMENT ON FUNCTION tmi.notify_events(bigint) IS 'Wakes event consumers (LISTEN tmi_event) at commit';

CREATE FUNCTION tmi.target_events()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    last_log bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH e AS (
            INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
            SELECT 'target.created', n.kind, n.target_id,
                   jsonb_build_object('name', n.name, 'ext_key', n.ext_key, 'meta', n.meta)
              FROM new_rows n
            RETURNING log_id)
        SELECT max(log_id) INTO last_log FROM e;
    ELSE
        WITH e AS (
            INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
            SELECT 'target.updated', n.kind, n.target_id,
                   jsonb_build_object('name', n.name, 'ext_key', n.ext_key, 'meta', n.meta)
              FROM new_rows n JOIN old_rows o USING (target_id)
             WHERE (n.name, n.kind, n.ext_key, n.meta) IS DISTINCT FROM (o.name, o.kind, o.ext_key, o.meta)
            RETURNING log_id)
        SELECT max(log_id) INTO last_log FROM e;
    END IF;
    PERFORM tmi.notify_events(last_log);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER target_created_events AFTER INSERT ON tmi.target
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.target_events();
CREATE TRIGGER target_updated_events AFTER UPDATE ON tmi.target
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.target_events();

-- one event per target and statement, with the new observations in time order
CREATE FUNCTION tmi.obs_events()
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
        SELECT 'obs', t.kind, n.target_id,
               jsonb_build_object('count', count(*), 'from', min(n.ts), 'to', max(n.ts),
                                  'obs', jsonb_agg(jsonb_build_object('obs_id', n.obs_id, 'ts', n.ts,
                                                                      'payload', n.payload) ORDER BY n.ts, n.obs_id))
          FROM new_rows n JOIN tmi.target t USING (target_id)
         GROUP BY n.target_id, t.kind
        RETURNING log_id)
    SELECT max(log_id) INTO last_log FROM e;
    PERFORM tmi.notify_events(last_log);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER ts_obs_events AFTER INSERT ON tmi.ts_obs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.obs_events();

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

-- one event per target and statement: its newest position ('position'), or its newest
-- corrected one ('position.corrected')
CREATE FUNCTION tmi.position_events()
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
CREATE TRIGGER geo_trace_inserted_events AFTER INSERT ON tmi.geo_trace
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.position_events();
CREATE TRIGGER geo_trace_updated_events AFTER UPDATE ON tmi.geo_trace
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.position_events();

-- alarms, schema versions and files change rarely: one event per row
CREATE FUNCTION tmi.row_events()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    log bigint;
    row_doc jsonb := to_jsonb(NEW);
BEGIN
    INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
    SELECT CASE TG_TABLE_NAME
               WHEN 'alarm_event' THEN 'alarm.' || (row_doc->>'state')
               WHEN 'model_versions' THEN 'schema.version'
               ELSE 'file.attached' END,
           coalesce(row_doc->>'kind', (SELECT t.kind FROM tmi.target t WHERE t.target_id = (row_doc->>'target_id')::uuid)),
           (row_doc->>'target_id')::uuid,
           row_doc
    RETURNING log_id INTO log;
    PERFORM tmi.notify_events(log);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER alarm_event_events AFTER INSERT OR UPDATE OF state ON tmi.alarm_event
    FOR EACH ROW EXECUTE FUNCTION tmi.row_events();
CREATE TRIGGER model_versions_events AFTER INSERT ON tmi.model_versions
    FOR EACH ROW EXECUTE FUNCTION tmi.row_events();
CREATE TRIGGER file_attachment_events AFTER INSERT ON tmi.file_attachment
    FOR EACH ROW EXECUTE FUNCTION tmi.row_events();

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

CREATE VIEW tmi.connectors AS
SELECT c.connector_id, c.name, c.url, c.every, c.format, tmi.mask_connector_options(c.options) AS options,
       c.enabled, c.created_at, c.last_attempt, c.last_success, c.last_status, c.last_error,
       c.consecutive_failures, c.next_run
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

-------------------------------------------------------------------------------
-- Stored logic: mapping rules, schema versions, alarms. The logic is Java
-- (module tmidb-stored), run by one of two hosts:
--   worker: triggers only mark work pending and notify 'tmi_work'; tmidb-worker
--           claims it (FOR UPDATE SKIP LOCKED), runs the Java, and commits;
--   pljava: tmi.use_host('pljava') binds LANGUAGE java functions and the same
--           triggers call them in the writer's own transaction.
-- Whole batches go to Java (ids from transition tables), never one call per row.
-------------------------------------------------------------------------------
CREATE TABLE tmi.config (
    key   text PRIMARY KEY,
    value text NOT NULL
);
COMMENT ON TABLE tmi.config IS 'tmiDB settings kept in the database (key host: worker or pljava)';
INSERT INTO tmi.config VALUES ('host', 'worker');

-- as its owner: speakers and listeners may ask, not read tmi.config
CREATE FUNCTION tmi.host()
RETURNS text
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT value FROM tmi.config WHERE key = 'host';
END;
COMMENT ON FUNCTION tmi.host() IS 'Where the stored logic runs: worker (tmidb-worker) or pljava (inside the server)';

-- the attribute set of each kind: names and JSON types of target attributes and observation fields
CREATE TABLE tmi.kind_attr (
    kind  text NOT NULL,
    scope text NOT NULL CONSTRAINT kind_attr_scope CHECK (scope IN ('attribute', 'observation')),
    attr  text NOT NULL,
    jtype text NOT NULL CONSTRAINT kind_attr_jtype CHECK (jtype IN ('number', 'string', 'boolean', 'object', 'array', 'mixed')),
    PRIMARY KEY (kind, scope, attr)
);
COMMENT ON TABLE tmi.kind_attr IS 'Current attribute set per kind; tmi.model_versions keeps its history';

-- attribute/type pairs seen in writes but not yet in kind_attr, waiting for SchemaVersions
-- batch: one per writing SQL statement, so both hosts make one version per statement and kind
CREATE SEQUENCE tmi.schema_batch_seq;
CREATE TABLE tmi.schema_pending (
    pending_id bigserial PRIMARY KEY,
    batch      bigint NOT NULL,
    kind       text NOT NULL,
    scope      text NOT NULL,
    attr       text NOT NULL,
    jtype      text NOT NULL,
    UNIQUE (kind, scope, attr, jtype),
    -- set by tmi.retype: the attribute takes this type in a new version (else: a type seen in a write)
    retype     boolean NOT NULL DEFAULT false
);

-- observations waiting for alarm evaluation (only those some enabled rule may concern)
CREATE TABLE tmi.alarm_pending (
    pending_id bigserial   PRIMARY KEY,
    target_id  uuid        NOT NULL,
    ts         timestamptz NOT NULL,
    obs_id     bigint      NOT NULL,
    payload    jsonb       NOT NULL
);

-- per rule and target: since when the condition holds (for_duration), and the newest ts evaluated
CREATE TABLE tmi.alarm_state (
    rule_id       bigint      NOT NULL REFERENCES tmi.alarm_rule (rule_id) ON DELETE CASCADE,
    target_id     uuid        NOT NULL REFERENCES tmi.target (target_id) ON DELETE CASCADE,
    pending_since timestamptz,
    last_ts       timestamptz NOT NULL,
    PRIMARY KEY (rule_id, target_id)
);

CREATE FUNCTION tmi.check_path(path text, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF path IS NULL OR path = '' THEN
        RAISE EXCEPTION 'mapping rule: % must be a JSON path', what USING ERRCODE = '22023',
            HINT = 'Write an SQL/JSON path relative to the item, e.g. "$.station_id".';
    END IF;
    PERFORM path::jsonpath;
EXCEPTION WHEN syntax_error OR invalid_text_representation THEN
    RAISE EXCEPTION 'mapping rule: % is not a valid JSON path', what USING ERRCODE = '22023',
        DETAIL = format('%s = %s: %s', what, path, SQLERRM),
        HINT = 'Write an SQL/JSON path such as "$.data.stations[*]" or "$.geometry.coordinates[1]".';
END
$fn$;
COMMENT ON FUNCTION tmi.check_path(text, text) IS 'Raises 22023 unless path is a valid SQL/JSON path';

CREATE FUNCTION tmi.check_mapping_rule(rule jsonb)
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
COMMENT ON FUNCTION tmi.check_mapping_rule(jsonb) IS 'Raises 22023 naming the first problem of a mapping rule';

CREATE FUNCTION tmi.add_mapping(source text, rule jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(source, 'source', 'Name the source whose documents the rule maps: a connector name or a label.');
    PERFORM tmi.check_mapping_rule(rule);
    INSERT INTO tmi.mapping_rule AS m (source, rule) VALUES (add_mapping.source, add_mapping.rule)
    ON CONFLICT (source) DO UPDATE SET rule = EXCLUDED.rule, enabled = true, updated_at = now()
    RETURNING m.rule_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_mapping(text, jsonb) IS
    'Registers (or replaces) the mapping rule of a source. New documents of the source are mapped; tmi.remap() re-runs older ones.';

CREATE FUNCTION tmi.remap(source text, include_mapped boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    queued bigint;
BEGIN
    PERFORM tmi.require(source, 'source', 'Name the source whose stored documents should be mapped again.');
    IF NOT EXISTS (SELECT 1 FROM tmi.mapping_rule m WHERE m.source = remap.source AND m.enabled) THEN
        RAISE EXCEPTION 'no mapping rule for source "%"', source USING ERRCODE = '42704',
            HINT = 'Register one with tmi.add_mapping(source, rule) first.';
    END IF;
    -- observations from earlier runs of these documents are replaced, never duplicated
    UPDATE tmi.raw_bucket r SET status = 'pending'
     WHERE r.source = remap.source
       AND (r.status IN ('failed', 'unmapped') OR include_mapped AND r.status = 'mapped');
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$fn$;
COMMENT ON FUNCTION tmi.remap(text, boolean) IS
    'Maps stored documents of a source again (failed and unmapped ones; mapped ones too if asked). Returns how many were queued.';

-- as its owner: speakers and listeners may read the versions, not tmi.model_versions
CREATE FUNCTION tmi.schema_history(kind text)
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
COMMENT ON FUNCTION tmi.schema_history(text) IS 'Schema versions of a kind, oldest first; version N is served by schema api_vN';

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

CREATE FUNCTION tmi.ack_alarm(alarm_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    current_state text;
BEGIN
    PERFORM tmi.require(alarm_id, 'alarm_id', 'Pass the id of an alarm from tmi.alarm_event.');
    SELECT a.state INTO current_state FROM tmi.alarm_event a WHERE a.alarm_id = ack_alarm.alarm_id FOR UPDATE;
    IF current_state IS NULL THEN
        RAISE EXCEPTION 'alarm % does not exist', alarm_id USING ERRCODE = '42704',
            HINT = 'See SELECT * FROM tmi.alarm_event WHERE state <> ''cleared''.';
    ELSIF current_state <> 'active' THEN
        RAISE EXCEPTION 'alarm % is %, not active', alarm_id, current_state USING ERRCODE = '55000',
            HINT = 'Only active alarms are acknowledged.';
    END IF;
    UPDATE tmi.alarm_event a SET state = 'acknowledged', acked_at = now() WHERE a.alarm_id = ack_alarm.alarm_id;
END
$fn$;
COMMENT ON FUNCTION tmi.ack_alarm(bigint) IS 'Acknowledges an active alarm; it stays open until it clears';

-- Previews the worker answers: tmi.mapping_preview on the worker host hands the
-- request over through a connection of its own (dblink, committed at once, so the
-- worker can see it), and waits for the answer.
CREATE TABLE tmi.preview_request (
    request_id bigserial   PRIMARY KEY,
    rule       jsonb       NOT NULL,
    payload    jsonb       NOT NULL,
    result     jsonb,
    sqlstate   text,
    error      text,
    hint       text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.preview_request IS 'Mapping previews asked of tmidb-worker, and its answers';

-- On the PL/Java host, tmi.use_host('pljava') binds the Java itself instead.
CREATE FUNCTION tmi.mapping_preview(rule jsonb, payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    dblink_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'dblink');
    conn text := format('host=%s port=%s dbname=%s user=%s passfile=%s',
                        split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'),
                        current_database(), current_user, current_setting('data_directory') || '/tmidb.pgpass');
    id bigint;
    answer record;
    deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
    PERFORM tmi.check_mapping_rule(rule);
    PERFORM tmi.require(payload, 'payload', 'Pass the document to preview as jsonb.');
    BEGIN
        EXECUTE format('SELECT id FROM %I.dblink($1, $2) AS t (id bigint, woken text)', dblink_schema)
           INTO id
          USING conn, format('WITH r AS (INSERT INTO tmi.preview_request (rule, payload) VALUES (%L, %L) RETURNING request_id)'
                             ' SELECT request_id, pg_notify(''tmi_work'', ''preview'')::text FROM r', rule, payload);
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR invalid_authorization_specification
                   OR connection_exception THEN
        RAISE EXCEPTION 'mapping_preview cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
            DETAIL = SQLERRM,
            HINT = 'Run "tmictl mapping preview" (the same code, outside the server), or SELECT tmi.use_host(''pljava'').';
    END;
    LOOP
        SELECT p.result, p.sqlstate, p.error, p.hint INTO answer FROM tmi.preview_request p
         WHERE p.request_id = id AND (p.result IS NOT NULL OR p.error IS NOT NULL);
        EXIT WHEN FOUND;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'tmidb-worker did not answer the preview within 10 seconds' USING ERRCODE = '57014',
                HINT = 'Check that tmidb-worker runs (tmictl status), or run "tmictl mapping preview".';
        END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
    IF answer.error IS NOT NULL THEN
        RAISE EXCEPTION '%', answer.error USING ERRCODE = coalesce(answer.sqlstate, 'XX000'),
            HINT = coalesce(answer.hint, 'See the worker''s log.');
    END IF;
    RETURN answer.result;
END
$fn$;
COMMENT ON FUNCTION tmi.mapping_preview(jsonb, jsonb) IS
    'What a document would become under a rule (targets, observations, positions, item errors), writing nothing; on the worker host tmidb-worker computes it';

-------------------------------------------------------------------------------
-- Trigger glue: mark work pending, and on the PL/Java host hand it to Java now.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.raw_inserted()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    ids text;
BEGIN
    IF tmi.host() = 'pljava' THEN
        SELECT array_agg(raw_id ORDER BY raw_id)::text INTO ids FROM new_rows WHERE status = 'pending';
        IF ids IS NOT NULL THEN
            PERFORM tmi.j_process_raw(ids);
        END IF;
    ELSE
        PERFORM pg_notify('tmi_work', 'raw');
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER raw_bucket_inserted AFTER INSERT ON tmi.raw_bucket
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.raw_inserted();

-- remap() and status changes back to pending
CREATE FUNCTION tmi.raw_requeued()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    ids text;
BEGIN
    SELECT array_agg(n.raw_id ORDER BY n.raw_id)::text INTO ids
      FROM new_rows n JOIN old_rows o USING (raw_id)
     WHERE n.status = 'pending' AND o.status <> 'pending';
    IF ids IS NULL THEN
        RETURN NULL;
    ELSIF tmi.host() = 'pljava' THEN
        PERFORM tmi.j_process_raw(ids);
    ELSE
        PERFORM pg_notify('tmi_work', 'raw');
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER raw_bucket_requeued AFTER UPDATE ON tmi.raw_bucket
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.raw_requeued();

-- attribute/type pairs new to their kind go to schema_pending
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

CREATE FUNCTION tmi.queue_attributes(seen jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    ids text;
    -- one batch per SQL statement (a mapping statement writes targets and observations at once)
    stmt text := pg_current_xact_id()::text || '@' || statement_timestamp()::text;
    remembered text := current_setting('tmi.schema_batch', true);
    batch bigint;
BEGIN
    IF remembered LIKE stmt || '=%' THEN
        batch := split_part(remembered, '=', 2)::bigint;
    ELSE
        batch := nextval('tmi.schema_batch_seq');
        PERFORM set_config('tmi.schema_batch', stmt || '=' || batch, true);
    END IF;
    WITH s AS (
        SELECT x.kind, x.scope, x.attr, x.jtype
          FROM jsonb_to_recordset(seen) AS x (kind text, scope text, attr text, jtype text)
    ), fresh AS (
        INSERT INTO tmi.schema_pending (batch, kind, scope, attr, jtype)
        SELECT batch, s.kind, s.scope, s.attr, s.jtype FROM s
         WHERE s.jtype <> 'null'
           AND NOT EXISTS (SELECT 1 FROM tmi.kind_attr a
                            WHERE a.kind = s.kind AND a.scope = s.scope AND a.attr = s.attr
                              AND a.jtype IN (s.jtype, 'mixed'))
         -- in key order, so that two statements queueing the same new fields wait, not deadlock
         ORDER BY s.kind, s.scope, s.attr, s.jtype
        ON CONFLICT DO NOTHING
        RETURNING pending_id)
    SELECT array_agg(pending_id ORDER BY pending_id)::text INTO ids FROM fresh;
    IF ids IS NULL THEN
        RETURN;
    ELSIF tmi.host() = 'pljava' THEN
        PERFORM tmi.j_apply_schema(ids);
    ELSE
        PERFORM pg_notify('tmi_work', 'schema');
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.queue_attributes(jsonb) IS
    'Queues the (kind, scope, attr, jtype) rows of seen that the kind''s attribute set lacks';

CREATE FUNCTION tmi.target_attributes()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.queue_attributes(
        (SELECT jsonb_agg(DISTINCT jsonb_build_object('kind', n.kind, 'scope', 'attribute', 'attr', e.key,
                                                      'jtype', jsonb_typeof(e.value)))
           FROM new_rows n, jsonb_each(n.meta) e));
    RETURN NULL;
END
$fn$;
CREATE TRIGGER target_inserted_attributes AFTER INSERT ON tmi.target
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.target_attributes();
CREATE TRIGGER target_updated_attributes AFTER UPDATE ON tmi.target
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.target_attributes();

-- new and corrected observations: their fields for the schema, and alarm evaluation where a rule may apply
CREATE FUNCTION tmi.obs_inserted()
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
CREATE TRIGGER ts_obs_inserted AFTER INSERT ON tmi.ts_obs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.obs_inserted();
-- a corrected reading may bring new fields and must be evaluated again
CREATE TRIGGER ts_obs_corrected AFTER UPDATE ON tmi.ts_obs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tmi.obs_inserted();

-------------------------------------------------------------------------------
-- Switching hosts. PL/Java finds classes through sqlj; the functions it binds
-- take id lists as text ('{1,2,3}') so both hosts share the same SQL.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.use_host(host text, jar_url text DEFAULT NULL)
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
            RAISE EXCEPTION 'the pljava extension is not installed in this database' USING ERRCODE = '55000',
                HINT = 'Install PL/Java, set pljava.libjvm_location, and run CREATE EXTENSION pljava; or keep the worker host.';
        END IF;
        url := coalesce(jar_url, 'file:' || (SELECT setting FROM pg_config WHERE name = 'SHAREDIR') || '/tmidb/tmidb-stored.jar');
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
COMMENT ON FUNCTION tmi.use_host(text, text) IS
    'Runs the stored logic in tmidb-worker (worker) or inside the server through PL/Java (pljava, installing the jar)';

-------------------------------------------------------------------------------
-- Listeners: who may read what. A listener is subscribed to targets or whole
-- kinds, with all fields or some. The gateway runs each request under the role
-- of its JWT (SET LOCAL ROLE) with the claims in request.jwt.claims, as
-- PostgREST does; row-level security then shows a tmi_listener only the targets
-- (and their observations and positions) that its listener claim is subscribed
-- to. Listeners may not read target.meta or ts_obs.payload directly: the
-- SECURITY DEFINER functions tmi.visible_meta/visible_payload hand out only
-- the subscribed fields, and the api_vN views read attributes through them.
-- Speakers (and admins) see and write every row.
-------------------------------------------------------------------------------
CREATE UNIQUE INDEX listener_subscription_target_key ON tmi.listener_subscription (listener_id, target_id)
    WHERE target_id IS NOT NULL;
CREATE UNIQUE INDEX listener_subscription_kind_key ON tmi.listener_subscription (listener_id, kind)
    WHERE kind IS NOT NULL;

CREATE TABLE tmi.server_secret (
    name       text        PRIMARY KEY,
    secret     bytea       NOT NULL CONSTRAINT server_secret_length CHECK (pg_catalog.length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.server_secret IS 'Secrets of this database, e.g. the key that signs JWTs (readable by superusers only)';

-- search_path is completed at the end of this section with the schema of pgcrypto
CREATE FUNCTION tmi.jwt_secret()
RETURNS bytea
LANGUAGE plpgsql
SECURITY DEFINER
AS $fn$
DECLARE
    key bytea;
BEGIN
    INSERT INTO tmi.server_secret (name, secret) VALUES ('jwt', gen_random_bytes(32))
    ON CONFLICT (name) DO NOTHING;
    SELECT s.secret INTO key FROM tmi.server_secret s WHERE s.name = 'jwt';
    RETURN key;
END
$fn$;
COMMENT ON FUNCTION tmi.jwt_secret() IS
    'The HS256 key that signs and verifies JWTs, created at first use; the gateway reads it when not configured';

CREATE FUNCTION tmi.current_listener()
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT NULLIF(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'listener';
END;
COMMENT ON FUNCTION tmi.current_listener() IS
    'The listener named by the request''s JWT claims (request.jwt.claims), or NULL';

-- SECURITY DEFINER functions run as their owner, so the caller is the role set
-- with SET ROLE (the gateway's SET LOCAL ROLE), else the session user.
CREATE FUNCTION tmi.caller_is_speaker()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT coalesce(bool_or(r.rolsuper OR pg_catalog.pg_has_role(r.oid, 'tmi_speaker', 'MEMBER')), false)
      FROM pg_catalog.pg_roles r
     WHERE r.rolname = CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
                            ELSE pg_catalog.current_setting('role') END;
END;
COMMENT ON FUNCTION tmi.caller_is_speaker() IS
    'Whether the calling role (SET ROLE, else the session user) is a superuser, speaker or admin';

CREATE FUNCTION tmi.listener_sees(target uuid)
RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT EXISTS (
        SELECT 1
          FROM tmi.listener l
          JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
          JOIN tmi.target t ON t.target_id = listener_sees.target
         WHERE l.name = tmi.current_listener()
           AND (s.target_id = t.target_id OR s.kind = t.kind));
END;
COMMENT ON FUNCTION tmi.listener_sees(uuid) IS
    'Whether the request''s listener is subscribed to the target (itself or its kind)';

CREATE FUNCTION tmi.fields_of(listener_name text, target uuid)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    -- NULL: every field; otherwise the union of the subscriptions' fields (none when not subscribed)
    SELECT CASE WHEN count(*) = 0 THEN '{}'::text[]
                WHEN bool_or(s.fields IS NULL) THEN NULL
                ELSE array_agg(DISTINCT f.name ORDER BY f.name) END
      FROM tmi.listener l
      JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
      JOIN tmi.target t ON t.target_id = fields_of.target
      LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
     WHERE l.name = listener_name
       AND (s.target_id = t.target_id OR s.kind = t.kind);
END;
COMMENT ON FUNCTION tmi.fields_of(text, uuid) IS
    'Fields of the target the listener is subscribed to: NULL for all of them, none when not subscribed';

CREATE FUNCTION tmi.only_fields(doc jsonb, fields text[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN fields IS NULL OR doc IS NULL THEN doc
                ELSE coalesce((SELECT pg_catalog.jsonb_object_agg(e.key, e.value)
                                 FROM pg_catalog.jsonb_each(doc) e
                                WHERE e.key = ANY (fields)), '{}'::jsonb) END;
END;
COMMENT ON FUNCTION tmi.only_fields(jsonb, text[]) IS 'The keys of doc that are in fields (all of them when fields is NULL)';

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
         'SELECT * FROM tmi.series(target, field, bucket, since, until)', 'tmi_listener')
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
    'Creates the front door''s /rpc functions (ingest, observe, near, target_id, events_since, status, series) in an API schema';

CREATE FUNCTION tmi.visible_meta(target uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    doc jsonb;
BEGIN
    SELECT t.meta INTO doc FROM tmi.target t WHERE t.target_id = visible_meta.target;
    IF tmi.caller_is_speaker() THEN
        RETURN doc;
    END IF;
    IF NOT tmi.listener_sees(target) THEN
        RETURN NULL;
    END IF;
    RETURN tmi.only_fields(doc, tmi.fields_of(tmi.current_listener(), target));
END
$fn$;
COMMENT ON FUNCTION tmi.visible_meta(uuid) IS
    'The target''s attributes the caller may read: all for speakers, the subscribed fields for the request''s listener, else NULL';

CREATE FUNCTION tmi.visible_payload(target uuid, ts timestamptz, obs_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    doc jsonb;
BEGIN
    SELECT o.payload INTO doc FROM tmi.ts_obs o
     WHERE o.target_id = visible_payload.target AND o.ts = visible_payload.ts AND o.obs_id = visible_payload.obs_id;
    IF tmi.caller_is_speaker() THEN
        RETURN doc;
    END IF;
    IF NOT tmi.listener_sees(target) THEN
        RETURN NULL;
    END IF;
    RETURN tmi.only_fields(doc, tmi.fields_of(tmi.current_listener(), target));
END
$fn$;
COMMENT ON FUNCTION tmi.visible_payload(uuid, timestamptz, bigint) IS
    'The observation''s fields the caller may read: all for speakers, the subscribed fields for the request''s listener, else NULL';

CREATE FUNCTION tmi.listener_id(listener text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(listener, 'listener', 'Pass the name given to tmi.add_listener(name).');
    SELECT l.listener_id INTO id FROM tmi.listener l WHERE l.name = listener_id.listener;
    IF id IS NULL THEN
        RAISE EXCEPTION 'listener "%" does not exist', listener USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_listener(name).';
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.listener_id(text) IS 'The id of the listener with this name';

CREATE FUNCTION tmi.add_listener(name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(name, 'name', 'Name the listener; tokens and the endpoint /api/<name> refer to it.');
    IF name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid listener name "%"', name USING ERRCODE = '22023',
            DETAIL = 'A listener name is part of URLs such as /api/<name>.',
            HINT = 'Use letters, digits, ''_'', ''.'' and ''-'', starting with a letter or digit, at most 63 characters.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.listener l WHERE l.name = add_listener.name) THEN
        RAISE EXCEPTION 'listener "%" already exists', name USING ERRCODE = '23505',
            HINT = 'Choose another name, or subscribe the existing listener with tmi.subscribe().';
    END IF;
    INSERT INTO tmi.listener (name) VALUES (add_listener.name) RETURNING listener_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_listener(text) IS 'Creates a listener (a reader of tmiDB data). Returns its id.';

CREATE FUNCTION tmi.check_fields(fields text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF fields IS NOT NULL AND (cardinality(fields) = 0 OR array_position(fields, NULL) IS NOT NULL
                               OR array_position(fields, '') IS NOT NULL) THEN
        RAISE EXCEPTION 'fields must be NULL or a list of field names' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('fields = %s', fields),
            HINT = 'Pass e.g. ARRAY[''battery'', ''speed''], or leave fields out for all of them.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.check_fields(text[]) IS 'Raises 22023 unless fields is NULL or a non-empty list of names';

CREATE FUNCTION tmi.subscribe(listener text, target uuid, fields text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass a target id, e.g. tmi.target_id(kind, ext_key).');
    PERFORM tmi.check_fields(fields);
    IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = subscribe.target) THEN
        RAISE EXCEPTION 'target % does not exist', target USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target(name, kind, meta, ext_key).';
    END IF;
    INSERT INTO tmi.listener_subscription AS s (listener_id, target_id, fields)
    VALUES (lid, subscribe.target, subscribe.fields)
    ON CONFLICT (listener_id, target_id) WHERE target_id IS NOT NULL DO UPDATE SET fields = EXCLUDED.fields
    RETURNING s.subscription_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.subscribe(text, uuid, text[]) IS
    'Lets the listener read one target: all fields, or only those named. Subscribing again replaces the fields. Returns the subscription id.';

CREATE FUNCTION tmi.subscribe(listener text, kind text, fields text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(kind, 'kind', 'Pass a kind such as ''bike'', or a target id (uuid) for one target.');
    PERFORM tmi.check_fields(fields);
    IF kind !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid kind "%"', kind USING ERRCODE = '22023',
            HINT = 'Pass a kind (a lower-case identifier such as ''air_sensor''), or a target id cast to uuid.';
    END IF;
    INSERT INTO tmi.listener_subscription AS s (listener_id, kind, fields)
    VALUES (lid, subscribe.kind, subscribe.fields)
    ON CONFLICT (listener_id, kind) WHERE kind IS NOT NULL DO UPDATE SET fields = EXCLUDED.fields
    RETURNING s.subscription_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.subscribe(text, text, text[]) IS
    'Lets the listener read every target of a kind: all fields, or only those named. Subscribing again replaces the fields. Returns the subscription id.';

CREATE FUNCTION tmi.unsubscribe(listener text, target uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass the target id the listener was subscribed to.');
    DELETE FROM tmi.listener_subscription s WHERE s.listener_id = lid AND s.target_id = unsubscribe.target;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION tmi.unsubscribe(text, uuid) IS
    'Ends the listener''s subscription to one target; returns whether there was one';

CREATE FUNCTION tmi.unsubscribe(listener text, kind text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(kind, 'kind', 'Pass the kind the listener was subscribed to.');
    DELETE FROM tmi.listener_subscription s WHERE s.listener_id = lid AND s.kind = unsubscribe.kind;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION tmi.unsubscribe(text, text) IS
    'Ends the listener''s subscription to a kind; returns whether there was one';

CREATE FUNCTION tmi.base64url(data bytea)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.translate(pg_catalog.encode(data, 'base64'), E'+/=\n', '-_');
END;
COMMENT ON FUNCTION tmi.base64url(bytea) IS 'Base64url without padding (RFC 7515), as JWTs use';

-- Tokens: revocable, bound to the listener, for every role. Each token tmi.issue_token signs
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

CREATE FUNCTION tmi.issue_token(listener text, ttl interval DEFAULT '1 hour')
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

CREATE FUNCTION tmi.listener_targets(listener text)
RETURNS TABLE (target_id uuid, kind text, name text, ext_key text, updated_at timestamptz, meta jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    lid bigint := tmi.listener_id(listener);
BEGIN
    IF NOT tmi.caller_is_speaker() AND tmi.current_listener() IS DISTINCT FROM listener THEN
        RAISE EXCEPTION 'permission denied for listener "%"', listener USING ERRCODE = '42501',
            DETAIL = pg_catalog.format('The request''s listener claim is %s.', coalesce(tmi.current_listener(), 'absent')),
            HINT = 'Use a token issued for this listener: tmi.issue_token(listener).';
    END IF;
    RETURN QUERY
    SELECT t.target_id, t.kind, t.name, t.ext_key, t.updated_at, tmi.only_fields(t.meta, tmi.fields_of(listener, t.target_id))
      FROM tmi.target t
     WHERE EXISTS (SELECT 1 FROM tmi.listener_subscription s
                    WHERE s.listener_id = lid AND (s.target_id = t.target_id OR s.kind = t.kind))
     ORDER BY t.kind, t.name, t.target_id;
END
$fn$;
COMMENT ON FUNCTION tmi.listener_targets(text) IS
    'The targets the listener is subscribed to, with only its fields; for that listener, speakers and admins';

CREATE FUNCTION tmi.listener_obs(listener text, kind text, since timestamptz DEFAULT '-infinity', max_rows integer DEFAULT 1000)
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
    SELECT o.obs_id, o.target_id, o.ts, tmi.only_fields(o.payload, tmi.fields_of(listener, o.target_id))
      FROM tmi.listener_targets(listener) t
      JOIN tmi.ts_obs o ON o.target_id = t.target_id
     WHERE t.kind = listener_obs.kind AND o.ts >= coalesce(since, '-infinity')
     ORDER BY o.ts, o.obs_id
     LIMIT max_rows;
END
$fn$;
COMMENT ON FUNCTION tmi.listener_obs(text, text, timestamptz, integer) IS
    'Observations since a time of the listener''s targets of one kind, oldest first, with only its fields';

ALTER TABLE tmi.target ENABLE ROW LEVEL SECURITY;
ALTER TABLE tmi.ts_obs ENABLE ROW LEVEL SECURITY;
ALTER TABLE tmi.geo_trace ENABLE ROW LEVEL SECURITY;
CREATE POLICY target_speaker ON tmi.target TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY target_listener ON tmi.target FOR SELECT TO tmi_listener USING (tmi.listener_sees(target_id));
CREATE POLICY ts_obs_speaker ON tmi.ts_obs TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY ts_obs_listener ON tmi.ts_obs FOR SELECT TO tmi_listener USING (tmi.listener_sees(target_id));
CREATE POLICY geo_trace_speaker ON tmi.geo_trace TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY geo_trace_listener ON tmi.geo_trace FOR SELECT TO tmi_listener USING (tmi.listener_sees(target_id));

DO $crypto_path$
DECLARE
    crypto_schema name := (SELECT n.nspname
                             FROM pg_catalog.pg_extension e
                             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'pgcrypto');
BEGIN
    EXECUTE pg_catalog.format('ALTER FUNCTION tmi.jwt_secret() SET search_path = pg_catalog, %I', crypto_schema);
    EXECUTE pg_catalog.format('ALTER FUNCTION tmi.issue_token(text, text, interval) SET search_path = pg_catalog, %I',
                              crypto_schema);
END
$crypto_path$;

-- Writes through api_vN.<kind> (INSTEAD OF trigger made by the schema versions):
-- TG_ARGV[0] is the kind, TG_ARGV[1] maps renamed columns back to attribute names.
CREATE FUNCTION tmi.api_target_write()
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

-------------------------------------------------------------------------------
-- Relay: tmidb-worker relays event_log, in event_id order, to NATS JetStream.
-- Each relay keeps a cursor: the last event id the broker has acknowledged. It
-- moves only forward and only after the ack, so a relay that stops for any
-- reason resumes after the last event the broker holds; the broker drops the
-- re-sent ones it already stored (Nats-Msg-Id = event id).
-------------------------------------------------------------------------------
CREATE TABLE tmi.relay_cursor (
    name          text        PRIMARY KEY CONSTRAINT relay_cursor_name CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    last_event_id bigint      NOT NULL DEFAULT 0 CONSTRAINT relay_cursor_event_id CHECK (last_event_id >= 0),
    last_event_ts timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.relay_cursor IS 'Per relay: the last event id its broker acknowledged';

CREATE FUNCTION tmi.advance_relay_cursor(name text, last_event_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    at_id   bigint;
    newest  bigint := (SELECT max(e.event_id) FROM tmi.event_log e);
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the relay''s cursor name, e.g. ''nats''.');
    PERFORM tmi.require(last_event_id, 'last_event_id', 'Pass the highest event id the broker acknowledged.');
    IF name !~ '^[a-z][a-z0-9_-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid relay cursor name "%"', name USING ERRCODE = '22023',
            HINT = 'Use lower-case letters, digits, ''_'' and ''-'', starting with a letter, e.g. ''nats''.';
    END IF;
    IF last_event_id < 0 OR last_event_id > coalesce(newest, 0) THEN
        RAISE EXCEPTION 'event id % is not a numbered event', last_event_id USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('Numbered events run from 1 to %s.', coalesce(newest, 0)),
            HINT = 'Pass an event id read from tmi.events_since().';
    END IF;
    INSERT INTO tmi.relay_cursor AS r (name) VALUES (advance_relay_cursor.name) ON CONFLICT DO NOTHING;
    SELECT r.last_event_id INTO at_id FROM tmi.relay_cursor r WHERE r.name = advance_relay_cursor.name FOR UPDATE;
    IF last_event_id < at_id THEN
        RAISE EXCEPTION 'relay cursor "%" cannot move back', name USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('It is at event %s; %s was passed.', at_id, last_event_id),
            HINT = 'A cursor only moves forward. To relay events again, stop the relay and UPDATE tmi.relay_cursor.';
    END IF;
    UPDATE tmi.relay_cursor r
       SET last_event_id = advance_relay_cursor.last_event_id,
           last_event_ts = (SELECT e.ts FROM tmi.event_log e WHERE e.event_id = advance_relay_cursor.last_event_id),
           updated_at = now()
     WHERE r.name = advance_relay_cursor.name;
END
$fn$;
COMMENT ON FUNCTION tmi.advance_relay_cursor(text, bigint) IS
    'Moves a relay''s cursor forward to the last event its broker acknowledged (creating the cursor when missing)';

-- SECURITY DEFINER: tmi.status() shows the lag to roles that cannot read event_log
CREATE FUNCTION tmi.relay_status()
RETURNS TABLE (name text, last_event_id bigint, events_behind bigint, seconds_behind double precision,
               updated_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    WITH newest AS (
        SELECT coalesce(max(e.event_id), 0) AS event_id FROM tmi.event_log e
    ), unnumbered AS (
        -- committed events that tmi.sequence_events() has not numbered yet
        SELECT count(*) AS n, min(e.ts) AS oldest FROM tmi.event_log e WHERE e.event_id IS NULL
    )
    SELECT r.name, r.last_event_id,
           greatest(newest.event_id - r.last_event_id, 0) + unnumbered.n,
           coalesce(extract(epoch FROM now() - least(
               (SELECT e.ts FROM tmi.event_log e WHERE e.event_id = r.last_event_id + 1),
               unnumbered.oldest))::double precision, 0),
           r.updated_at
      FROM tmi.relay_cursor r, newest, unnumbered
     ORDER BY r.name;
END;
COMMENT ON FUNCTION tmi.relay_status() IS
    'Per relay: how many events and how many seconds (age of the oldest unrelayed event) it is behind';

-------------------------------------------------------------------------------
-- earthdistance's functions resolve their helpers through search_path, so
-- functions using them pin the schemas cube and earthdistance live in.
-------------------------------------------------------------------------------
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
    -- with its target deleted (ON DELETE CASCADE), the target's kind is gone too
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
    'Records what a gateway learnt of its object store (tmi.status() shows it)';

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
                           'no object store has reported (the gateway reports the one it uses)'))
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
    tmi.expire_uploads(), tmi.report_file_store(text, text, boolean, bigint, bigint, text), tmi.file_status()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.check_file(text, text, bigint, text), tmi.require_speaker(text), tmi.require_target(uuid),
    tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid), tmi.cancel_upload(uuid),
    tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb), tmi.detach_file(bigint), tmi.file_deleted(),
    tmi.expire_uploads(), tmi.report_file_store(text, text, boolean, bigint, bigint, text), tmi.file_status()
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

-------------------------------------------------------------------------------
-- Privileges. Speakers write about targets; admins also configure tmiDB.
-- Listeners read through the versioned API views and row-level security.
-------------------------------------------------------------------------------
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tmi FROM PUBLIC;
GRANT USAGE ON SCHEMA tmi TO tmi_admin, tmi_speaker, tmi_listener, tmi_anon;
GRANT ALL ON ALL TABLES IN SCHEMA tmi TO tmi_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA tmi TO tmi_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tmi TO tmi_admin;
GRANT SELECT, INSERT, UPDATE ON tmi.target, tmi.ts_obs, tmi.geo_trace, tmi.raw_bucket, tmi.file_attachment
    TO tmi_speaker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA tmi TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.add_target(text, text, jsonb, text), tmi.target_id(text, text),
    tmi.observe(uuid, timestamptz, jsonb, double precision, double precision),
    tmi.near(double precision, double precision, double precision, text, timestamptz),
    tmi.ingest(text, jsonb), tmi.ll_to_earth(double precision, double precision),
    tmi.require(anyelement, text, text), tmi.require_object(jsonb, text),
    tmi.max_payload_bytes(), tmi.storage_mode()
    TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.status() TO tmi_speaker, tmi_listener;
GRANT EXECUTE ON FUNCTION tmi.relay_status() TO tmi_speaker, tmi_listener;
GRANT EXECUTE ON FUNCTION tmi.host(), tmi.schema_history(text) TO tmi_speaker, tmi_listener;
GRANT SELECT ON tmi.connectors TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.mask_connector_options(jsonb) TO tmi_speaker;
GRANT SELECT (target_id, kind, name, ext_key, created_at, updated_at) ON tmi.target TO tmi_listener;
GRANT SELECT (target_id, ts, obs_id, raw_id) ON tmi.ts_obs TO tmi_listener;
GRANT SELECT ON tmi.geo_trace TO tmi_listener;
GRANT DELETE ON tmi.target, tmi.ts_obs TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.current_listener(), tmi.caller_is_speaker(), tmi.listener_sees(uuid),
    tmi.only_fields(jsonb, text[]), tmi.visible_meta(uuid), tmi.visible_payload(uuid, timestamptz, bigint),
    tmi.caller_scope(), tmi.scope_sees(jsonb, text, uuid), tmi.scope_only(jsonb, text, uuid, jsonb),
    tmi.series(uuid, text, interval, timestamptz, timestamptz),
    tmi.listener_targets(text), tmi.listener_obs(text, text, timestamptz, integer),
    tmi.require(anyelement, text, text)
    TO tmi_listener, tmi_anon;
GRANT EXECUTE ON FUNCTION tmi.api_target_write(), tmi.api_obs_write() TO tmi_speaker;
-- tmi.ingest links a document to the connector of the same name
GRANT SELECT (connector_id, name) ON tmi.ingest_connector TO tmi_speaker;
-- a speaker's write that repeats a stored observation merges it (tmi.obs_once)
GRANT EXECUTE ON FUNCTION tmi.merge_reading(jsonb, bigint, jsonb, bigint) TO tmi_speaker;
