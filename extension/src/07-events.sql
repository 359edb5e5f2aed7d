-- SPDX-License-Identifier: MIT
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

