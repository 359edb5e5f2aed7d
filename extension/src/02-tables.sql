-- SPDX-License-Identifier: MIT
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
-- tmi.near finds candidates in a box of degrees on this index, then measures each exactly. A
-- quad tree of 2-D points costs a fraction of a GiST index on 3-D cubes to keep up as positions
-- arrive (docs/BENCHMARKS.md, "Ingest pipeline"); pg_catalog.point needs no search_path to restore.
CREATE INDEX geo_trace_point_idx ON tmi.geo_trace USING spgist (point(lon, lat));

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
    last_modified        text,
    -- mapping => 'suggest' | 'auto': tmidb-worker proposes a rule once a document has arrived
    -- (see "Suggested mappings"); suggestion_note says what became of it
    mapping              text        NOT NULL DEFAULT 'manual' CHECK (mapping IN ('manual', 'suggest', 'auto')),
    suggestion           jsonb,
    suggestion_note      text
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

