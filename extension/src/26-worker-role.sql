-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- The worker's role. tmidb-worker speaks about targets on behalf of connectors
-- and documents (mapping, schema versions, alarms, events, the relay, files,
-- retention): tmi_worker is a speaker with the tables and functions of that
-- work, and tmidbd's login for the worker (tmidb_worker) is a member of it. It
-- is no admin: it cannot read or change who may see what (listeners, their
-- subscriptions, tokens and the key that signs them), how long data is kept,
-- alarm rules, connectors' definitions or the stored logic's host. It is no
-- superuser: it cannot create objects in tmi, read pg_authid, ALTER SYSTEM,
-- create roles or drop the extension. The DDL its work needs runs in functions
-- owned by the extension's owner: partitions (tmi.maintain_partitions,
-- tmi.apply_retention) and the API schemas where schema versions make their
-- views (tmi.prepare_api_schema); the views belong to tmi_worker.
-------------------------------------------------------------------------------
ALTER FUNCTION tmi.maintain_partitions(interval) SECURITY DEFINER;
ALTER FUNCTION tmi.apply_retention() SECURITY DEFINER;

-- The API schema of a schema version, with the front door's /rpc functions: created when
-- missing, usable by tmiDB's roles. tmi_worker, which owns the views of new versions (tmi_admin
-- those made before 0.2), may create them there (a role must be allowed to create in a schema to
-- own an object of it).
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
    EXECUTE pg_catalog.format('GRANT CREATE ON SCHEMA %I TO tmi_admin, tmi_worker', api);
    PERFORM tmi.install_api_functions(api);
    RETURN api;
END
$fn$;
COMMENT ON FUNCTION tmi.prepare_api_schema(integer) IS
    'Creates the API schema api_vN of a schema version when missing, with its /rpc functions; tmi_worker may create its views there';
REVOKE ALL ON FUNCTION tmi.prepare_api_schema(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.prepare_api_schema(integer) TO tmi_admin;

-- the worker's own privileges, once every function exists
GRANT tmi_speaker TO tmi_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    tmi.target, tmi.ts_obs, tmi.geo_trace, tmi.raw_bucket, tmi.kind_attr, tmi.model_versions,
    tmi.schema_pending, tmi.mapping_rule, tmi.stream_def, tmi.alarm_state, tmi.alarm_pending,
    tmi.alarm_event, tmi.event_log, tmi.relay_cursor, tmi.ingest_connector, tmi.preview_request,
    tmi.file_attachment, tmi.file_upload, tmi.file_trash, tmi.file_store
    TO tmi_worker;
-- what it reads but does not decide
GRANT SELECT ON tmi.alarm_rule, tmi.config, tmi.retention, tmi.retention_applied, tmi.connectors TO tmi_worker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA tmi TO tmi_worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tmi TO tmi_worker;
REVOKE EXECUTE ON FUNCTION
    tmi.add_listener(text), tmi.drop_listener(text), tmi.subscribe(text, uuid, text[]),
    tmi.subscribe(text, text, text[]), tmi.unsubscribe(text, uuid), tmi.unsubscribe(text, text),
    tmi.listener_scope(text), tmi.fields_of(text, uuid),
    tmi.issue_token(text, text, interval), tmi.issue_token(text, interval), tmi.revoke_tokens(text, text),
    tmi.revoke_tokens(text), tmi.jwt_secret(),
    tmi.set_retention(text, interval), tmi.add_alarm(text, text, text, double precision, double precision, interval, text, boolean),
    tmi.ack_alarm(bigint), tmi.add_connector(text, text, interval, text, jsonb, text), tmi.drop_connector(text),
    tmi.test_connector(text), tmi.use_host(text, text),
    tmi.storage_migration_begin(text), tmi.storage_migration_copy(regclass), tmi.storage_migration_finish()
    FROM tmi_worker;
