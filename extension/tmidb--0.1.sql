-- SPDX-License-Identifier: MIT
-- tmiDB 0.1: schema tmi, its tables, roles and the SQL front door.
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
    next_run             timestamptz NOT NULL DEFAULT pg_catalog.now()
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
    processed_at timestamptz
);
COMMENT ON TABLE tmi.raw_bucket IS 'Every document a speaker or connector delivered, as received';
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
    source     text        NOT NULL,
    rule       jsonb       NOT NULL,
    enabled    boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.mapping_rule IS 'How raw documents of a source become targets, observations and positions';
CREATE INDEX mapping_rule_source_idx ON tmi.mapping_rule (source);

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
CREATE INDEX event_log_unsequenced_idx ON tmi.event_log (log_id) WHERE event_id IS NULL;

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
-- rows into their own partitions. Hypertables need the partitioning columns in
-- every unique index, hence the key (target_id, ts, obs_id).
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
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (target_id, ts, obs_id)', rel, name || '_pkey');
    EXECUTE format('CREATE INDEX %I ON %s (ts)', name || '_ts_idx', rel);
    EXECUTE format('CREATE INDEX %I ON %s (raw_id) WHERE raw_id IS NOT NULL', name || '_raw_idx', rel);
END
$fn$;
COMMENT ON FUNCTION tmi.index_ts_obs(regclass) IS 'Creates the key and indexes of ts_obs (or of one of its partitions)';

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
        raw_id    bigint
    $cols$;
BEGIN
    IF ts_schema IS NOT NULL THEN
        EXECUTE pg_catalog.format('CREATE TABLE tmi.ts_obs (%s)', columns);
        PERFORM tmi.index_ts_obs('tmi.ts_obs');
        EXECUTE pg_catalog.format(
            'SELECT %I.create_hypertable(%L::regclass, %L, partitioning_column => %L, number_partitions => 8)',
            ts_schema, 'tmi.ts_obs', 'ts', 'target_id');
    ELSE
        EXECUTE pg_catalog.format('CREATE TABLE tmi.ts_obs (%s) PARTITION BY RANGE (ts)', columns);
        CREATE TABLE tmi.ts_obs_default PARTITION OF tmi.ts_obs DEFAULT;
        PERFORM tmi.index_ts_obs('tmi.ts_obs_default');
        PERFORM pg_catalog.pg_extension_config_dump('tmi.ts_obs_default', '');
    END IF;
END
$ts_obs$;
COMMENT ON TABLE tmi.ts_obs IS 'Observations: one JSON document per target and time';

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
    IF observe.lat IS NOT NULL THEN
        INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
        VALUES (observe.target, observe.ts, observe.lat, observe.lon)
        ON CONFLICT (target_id, ts) DO UPDATE SET lat = EXCLUDED.lat, lon = EXCLUDED.lon;
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.observe(uuid, timestamptz, jsonb, double precision, double precision) IS
    'Records an observation of a target (and its position when lat/lon are given). Returns the obs_id.';

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
    PERFORM tmi.require(url, 'url', 'Pass the http:// or https:// URL to fetch.');
    PERFORM tmi.require(every, 'every', 'Pass how often to fetch, e.g. ''5 minutes''.');
    PERFORM tmi.require(format, 'format', 'Pass one of json, csv, html, text.');
    PERFORM tmi.require_object(options, 'options');
    IF name !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' THEN
        RAISE EXCEPTION 'invalid connector name "%"', name USING ERRCODE = '22023',
            HINT = 'Use letters, digits, ''_'', ''.'', '':'' and ''-'', at most 128 characters.';
    END IF;
    IF url !~* '^https?://[^\s/?#@]+(:[0-9]+)?([/?#][^\s]*)?$' OR url ~ '\s' THEN
        RAISE EXCEPTION 'invalid connector URL' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('url = %s', left(url, 200)),
            HINT = 'Pass an absolute http:// or https:// URL with a host; put credentials in options.headers, not in the URL.';
    END IF;
    IF every < interval '1 second' THEN
        RAISE EXCEPTION 'every must be at least 1 second' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('every = %s', every),
            HINT = 'Pass an interval of 1 second or more, e.g. ''30 seconds''.';
    END IF;
    IF format NOT IN ('json', 'csv', 'html', 'text') THEN
        RAISE EXCEPTION 'unknown connector format "%"', format USING ERRCODE = '22023',
            HINT = 'Use one of json, csv, html, text.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.ingest_connector c WHERE c.name = add_connector.name) THEN
        RAISE EXCEPTION 'connector "%" already exists', name USING ERRCODE = '23505',
            HINT = 'Choose another name.';
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

CREATE FUNCTION tmi.status()
RETURNS TABLE (subsystem text, state text, detail text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
DECLARE
    parked bigint;
BEGIN
    RETURN QUERY SELECT 'extension', 'ok', 'tmidb ' || extversion FROM pg_extension WHERE extname = 'tmidb';

    IF tmi.storage_mode() = 'timescaledb' THEN
        RETURN QUERY SELECT 'storage', 'ok', 'ts_obs is a TimescaleDB hypertable';
    ELSE
        -- rows in the default partition are not pruned well until maintain_partitions() moves them
        EXECUTE 'SELECT count(*) FROM tmi.ts_obs_default' INTO parked;
        RETURN QUERY
        SELECT 'storage', CASE WHEN parked > 0 THEN 'attention' ELSE 'ok' END,
               format('ts_obs has %s native partitions; %s rows in the default partition',
                      count(*) - 1, parked)
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

    RETURN QUERY
    SELECT 'relay', CASE WHEN max(r.seconds_behind) > 60 THEN 'attention' ELSE 'ok' END,
           CASE WHEN count(*) = 0 THEN 'no relay has run (tmidb-worker relays events to NATS JetStream)'
                ELSE string_agg(format('%s: %s events, %s s behind', r.name, r.events_behind,
                                       round(r.seconds_behind::numeric, 1)), '; ' ORDER BY r.name) END
      FROM tmi.relay_status() r;
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
-- (its xid is below the oldest running xid), in log order: event_ids grow in the
-- order events become visible, without gaps, and a cursor never skips one.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.sequence_events()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    numbered integer;
BEGIN
    -- one sequencer at a time; a caller that finds it busy reads what is numbered already
    IF NOT pg_try_advisory_xact_lock(hashtext('tmi.sequence_events')) THEN
        RETURN 0;
    END IF;
    WITH ready AS (
        SELECT log_id, row_number() OVER (ORDER BY log_id) AS n
          FROM tmi.event_log
         WHERE event_id IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
    ), base AS (
        SELECT coalesce(max(event_id), 0) AS last FROM tmi.event_log
    )
    UPDATE tmi.event_log e SET event_id = base.last + ready.n
      FROM ready, base
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

-- one event per target and statement: its newest position
CREATE FUNCTION tmi.position_events()
RETURNS trigger
LANGUAGE plpgsql
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
        SELECT 'position', t.kind, l.target_id, jsonb_build_object('ts', l.ts, 'lat', l.lat, 'lon', l.lon)
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
SET search_path = pg_catalog
AS $fn$
DECLARE
    log bigint;
    row_doc jsonb := to_jsonb(NEW);
BEGIN
    INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
    SELECT CASE TG_TABLE_NAME
               WHEN 'alarm_event' THEN 'alarm.' || NEW.state
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
                             'tmi.file_attachment', 'tmi.relay_cursor'] LOOP
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
