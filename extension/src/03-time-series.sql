-- SPDX-License-Identifier: MIT
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
    -- tmi.ts_obs_storage = 'partitions' keeps native partitions where TimescaleDB is there too (tmictl
    -- restore sets it for a backup of such a database: the partitions in it need their parent)
    IF ts_schema IS NOT NULL
       AND coalesce(pg_catalog.current_setting('tmi.ts_obs_storage', true), '') <> 'partitions' THEN
        EXECUTE pg_catalog.format('CREATE TABLE tmi.ts_obs (%s)', columns);
        PERFORM tmi.index_ts_obs('tmi.ts_obs');
        -- while TimescaleDB restores a dump, its restored catalog makes ts_obs a hypertable again
        IF coalesce(pg_catalog.current_setting('timescaledb.restoring', true), 'off') <> 'on' THEN
            PERFORM tmi.make_hypertable('tmi.ts_obs');
        END IF;
    ELSE
        EXECUTE pg_catalog.format('CREATE TABLE tmi.ts_obs (%s) PARTITION BY RANGE (ts)', columns);
        PERFORM tmi.add_default_partition('tmi.ts_obs');
        PERFORM pg_catalog.pg_extension_config_dump('tmi.ts_obs_default', '');
    END IF;
END
$ts_obs$;
COMMENT ON TABLE tmi.ts_obs IS 'Observations: one JSON document per target and time';

