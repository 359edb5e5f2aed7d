-- SPDX-License-Identifier: MIT
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

