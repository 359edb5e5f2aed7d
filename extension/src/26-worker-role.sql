-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- The worker's role. tmidb-worker does an admin's work on tmiDB's data
-- (mapping, schema versions, alarms, connectors, the relay, retention):
-- tmi_worker, a member of tmi_admin, holds exactly that, and tmidbd's login for
-- the worker (tmidb_worker) is a member of tmi_worker. It is no superuser: it
-- cannot create objects in tmi, read pg_authid, ALTER SYSTEM, create roles or
-- drop the extension. The DDL its work needs runs in functions owned by the
-- extension's owner: partitions (tmi.maintain_partitions, tmi.apply_retention)
-- and the API schemas where schema versions make their views
-- (tmi.prepare_api_schema).
-------------------------------------------------------------------------------
ALTER FUNCTION tmi.maintain_partitions(interval) SECURITY DEFINER;
ALTER FUNCTION tmi.apply_retention() SECURITY DEFINER;

-- The API schema of a schema version, with the front door's /rpc functions: created when
-- missing, usable by tmiDB's roles. tmi_admin, which owns the views of every version, may create
-- them there (a role must be allowed to create in a schema to own an object of it).
CREATE FUNCTION tmi.prepare_api_schema(version integer)
RETURNS name
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    api name;
BEGIN
    IF version IS NULL OR version < 1 THEN
        RAISE EXCEPTION 'invalid schema version %', coalesce(version::text, 'NULL') USING ERRCODE = '22023',
            HINT = 'Pass a version of tmi.model_versions: 1 or more.';
    END IF;
    api := 'api_v' || version;
    EXECUTE pg_catalog.format('CREATE SCHEMA IF NOT EXISTS %I', api);
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO tmi_admin, tmi_speaker, tmi_listener, tmi_anon', api);
    EXECUTE pg_catalog.format('GRANT CREATE ON SCHEMA %I TO tmi_admin', api);
    PERFORM tmi.install_api_functions(api);
    RETURN api;
END
$fn$;
COMMENT ON FUNCTION tmi.prepare_api_schema(integer) IS
    'Creates the API schema api_vN of a schema version when missing, with its /rpc functions; tmi_admin may create its views there';
REVOKE ALL ON FUNCTION tmi.prepare_api_schema(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.prepare_api_schema(integer) TO tmi_admin;
