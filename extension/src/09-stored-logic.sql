-- SPDX-License-Identifier: MIT
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

