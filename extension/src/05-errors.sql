-- SPDX-License-Identifier: MIT
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

