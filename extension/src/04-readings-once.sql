-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Readings stored once. A reading (an observation or a position) is identified
-- by its target and time. Delivered again, by any writer (tmi.observe, mapping,
-- REST, a plain INSERT or COPY), it stores no new row: an identical reading is
-- dropped without a trace, a different one corrects the stored row, which its
-- UPDATE triggers announce ('obs.corrected', 'position.corrected') and hand to
-- the alarms again. Observations merge field by field, the newer document's
-- fields winning; positions are replaced. Rows are checked one by one in a
-- BEFORE trigger so that rows earlier in the same statement count as stored.
-- The mapping pipeline applies the same rule to a whole batch in one statement
-- (merge_reading below) and skips the per-row check for that statement.
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

CREATE FUNCTION tmi.storage_mode()
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

CREATE FUNCTION tmi.maintain_partitions(ahead interval DEFAULT '4 weeks')
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
COMMENT ON FUNCTION tmi.maintain_partitions(interval) IS
    'Creates weekly ts_obs partitions from last week to now + ahead and for rows parked in the default partition';

