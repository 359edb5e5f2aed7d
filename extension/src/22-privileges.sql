-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Privileges. Speakers write about targets; admins also configure tmiDB.
-- Listeners read through the versioned API views and row-level security.
-------------------------------------------------------------------------------
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA tmi FROM PUBLIC;
GRANT USAGE ON SCHEMA tmi TO tmi_admin, tmi_speaker, tmi_listener, tmi_anon;
GRANT ALL ON ALL TABLES IN SCHEMA tmi TO tmi_admin;
GRANT ALL ON ALL SEQUENCES IN SCHEMA tmi TO tmi_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA tmi TO tmi_admin;
GRANT SELECT, INSERT, UPDATE ON tmi.target, tmi.ts_obs, tmi.geo_trace, tmi.raw_bucket, tmi.file_attachment
    TO tmi_speaker;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA tmi TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.add_target(text, text, jsonb, text), tmi.target_id(text, text),
    tmi.observe(uuid, timestamptz, jsonb, double precision, double precision),
    tmi.near(double precision, double precision, double precision, text, timestamptz),
    tmi.ingest(text, jsonb), tmi.ll_to_earth(double precision, double precision),
    tmi.require(anyelement, text, text), tmi.require_object(jsonb, text),
    tmi.max_payload_bytes(), tmi.storage_mode()
    TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.status() TO tmi_speaker, tmi_listener;
GRANT EXECUTE ON FUNCTION tmi.relay_status() TO tmi_speaker, tmi_listener;
GRANT EXECUTE ON FUNCTION tmi.host(), tmi.schema_history(text) TO tmi_speaker, tmi_listener;
GRANT SELECT ON tmi.connectors TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.mask_connector_options(jsonb) TO tmi_speaker;
GRANT SELECT (target_id, kind, name, ext_key, created_at, updated_at) ON tmi.target TO tmi_listener;
GRANT SELECT (target_id, ts, obs_id, raw_id) ON tmi.ts_obs TO tmi_listener;
GRANT SELECT ON tmi.geo_trace TO tmi_listener;
GRANT DELETE ON tmi.target, tmi.ts_obs TO tmi_speaker;
GRANT EXECUTE ON FUNCTION tmi.current_listener(), tmi.caller_is_speaker(), tmi.listener_sees(uuid),
    tmi.only_fields(jsonb, text[]), tmi.visible_meta(uuid), tmi.visible_payload(uuid, timestamptz, bigint),
    tmi.caller_scope(), tmi.scope_sees(jsonb, text, uuid), tmi.scope_only(jsonb, text, uuid, jsonb),
    tmi.scope_fields(jsonb, text, uuid),
    tmi.series(uuid, text, interval, timestamptz, timestamptz), tmi.alarms(uuid, boolean),
    tmi.listener_targets(text), tmi.listener_obs(text, text, timestamptz, integer),
    tmi.require(anyelement, text, text)
    TO tmi_listener, tmi_anon;
GRANT EXECUTE ON FUNCTION tmi.api_target_write(), tmi.api_obs_write() TO tmi_speaker;
-- tmi.ingest links a document to the connector of the same name
GRANT SELECT (connector_id, name) ON tmi.ingest_connector TO tmi_speaker;
-- a speaker's write that repeats a stored observation merges it (tmi.obs_once)
GRANT EXECUTE ON FUNCTION tmi.merge_reading(jsonb, bigint, jsonb, bigint) TO tmi_speaker;
-- tmi.mapping_preview's own connection may queue a request and take its answer, nothing else
GRANT USAGE ON SCHEMA tmi TO tmi_preview;
GRANT EXECUTE ON FUNCTION tmi.queue_request(text, jsonb, jsonb, text), tmi.take_preview_answer(bigint) TO tmi_preview;
