-- SPDX-License-Identifier: MIT
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
