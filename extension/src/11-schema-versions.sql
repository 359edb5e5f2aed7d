-- SPDX-License-Identifier: MIT
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

