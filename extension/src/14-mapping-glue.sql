-- SPDX-License-Identifier: MIT
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

