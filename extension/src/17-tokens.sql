-- SPDX-License-Identifier: MIT
-- Tokens: revocable, bound to the listener, for every role. Each token tmi.issue_token signs
-- has a row here; its id is the token's jti claim. The gateway accepts a token with a jti only
-- while its row exists and is not revoked, and learns of revocations from NOTIFY tmi_tokens
-- (payload: the token id), so a request costs no look-up. A listener's tokens hang on its id,
-- not its name: dropping the listener deletes them, and a new listener of the same name starts
-- with none.
CREATE TABLE tmi.token (
    token_id    uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    role        text        NOT NULL CHECK (role IN ('tmi_admin', 'tmi_speaker', 'tmi_listener')),
    subject     text        NOT NULL,
    listener_id bigint      REFERENCES tmi.listener (listener_id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    CONSTRAINT token_listener_bound CHECK ((role = 'tmi_listener') = (listener_id IS NOT NULL))
);
COMMENT ON TABLE tmi.token IS 'Tokens issued by tmi.issue_token: their id is the jti claim; revoked or deleted ones are refused';
CREATE INDEX token_subject_idx ON tmi.token (role, subject);
CREATE INDEX token_listener_idx ON tmi.token (listener_id);

CREATE FUNCTION tmi.notify_token_gone()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    -- delivered at commit: the gateway then refuses the token on REST and closes its WebSockets
    PERFORM pg_catalog.pg_notify('tmi_tokens', OLD.token_id::text);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.notify_token_gone() IS
    'Trigger: NOTIFY tmi_tokens with the id of a token revoked or deleted (e.g. with its listener)';
CREATE TRIGGER token_gone AFTER DELETE OR UPDATE OF revoked_at ON tmi.token
    FOR EACH ROW EXECUTE FUNCTION tmi.notify_token_gone();

-- search_path is completed at the end of this section with the schema of pgcrypto
CREATE FUNCTION tmi.issue_token(role text, subject text, ttl interval)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
AS $fn$
DECLARE
    lid bigint;
    id uuid;
    exp timestamptz;
    claims jsonb;
    signing_input text;
BEGIN
    PERFORM tmi.require(subject, 'subject', 'Name who the token is for: a listener, a device, a person.');
    IF role IS NULL OR role NOT IN ('tmi_admin', 'tmi_speaker', 'tmi_listener') THEN
        RAISE EXCEPTION 'cannot issue a token for role "%"', role USING ERRCODE = '22023',
            DETAIL = 'Tokens are issued for tmi_admin, tmi_speaker and tmi_listener.',
            HINT = 'Pass one of those roles; anonymous requests need no token.';
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be a positive interval' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('ttl = %s', coalesce(ttl::text, 'NULL')),
            HINT = 'Pass how long the token is valid, e.g. ''1 hour''.';
    END IF;
    IF role = 'tmi_listener' THEN
        lid := tmi.listener_id(subject);
    END IF;
    exp := pg_catalog.now() + ttl;
    INSERT INTO tmi.token (role, subject, listener_id, expires_at)
    VALUES (issue_token.role, issue_token.subject, lid, exp) RETURNING token_id INTO id;
    claims := pg_catalog.jsonb_build_object('role', role, 'sub', subject, 'jti', id,
        'iat', pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.now()))::bigint,
        'exp', pg_catalog.floor(pg_catalog.date_part('epoch', exp))::bigint);
    IF lid IS NOT NULL THEN
        claims := claims || pg_catalog.jsonb_build_object('listener', subject, 'listener_id', lid);
    END IF;
    signing_input := tmi.base64url(pg_catalog.convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8')) || '.'
        || tmi.base64url(pg_catalog.convert_to(claims::text, 'UTF8'));
    RETURN signing_input || '.'
        || tmi.base64url(hmac(pg_catalog.convert_to(signing_input, 'UTF8'), tmi.jwt_secret(), 'sha256'));
END
$fn$;
COMMENT ON FUNCTION tmi.issue_token(text, text, interval) IS
    'A revocable JWT (HS256, signed with tmi.jwt_secret()) for a role and a subject: claims role, sub, jti, iat, exp = now() + ttl, and for tmi_listener the listener and its id';

CREATE FUNCTION tmi.revoke_tokens(role text, subject text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    n integer;
BEGIN
    PERFORM tmi.require(role, 'role', 'Pass the role the tokens were issued for, e.g. tmi_speaker.');
    PERFORM tmi.require(subject, 'subject', 'Pass the subject the tokens were issued for.');
    UPDATE tmi.token t SET revoked_at = pg_catalog.now()
     WHERE t.role = revoke_tokens.role AND t.subject = revoke_tokens.subject AND t.revoked_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION tmi.revoke_tokens(text, text) IS
    'Revokes every token issued for the role and subject; the gateway refuses them at once. Returns how many';

CREATE FUNCTION tmi.revoke_tokens(listener text)
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT tmi.revoke_tokens('tmi_listener', listener) WHERE tmi.listener_id(listener) IS NOT NULL;
END;
COMMENT ON FUNCTION tmi.revoke_tokens(text) IS
    'Revokes every token of the listener (which must exist); the gateway refuses them at once. Returns how many';

CREATE FUNCTION tmi.drop_listener(name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    id bigint := tmi.listener_id(name);
BEGIN
    -- its subscriptions and tokens go with it (ON DELETE CASCADE); the tokens' trigger tells the gateway
    DELETE FROM tmi.listener l WHERE l.listener_id = id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.drop_listener(text) IS
    'Drops a listener with its subscriptions and tokens; a listener created later with the same name gets none of them. Returns its id';

CREATE FUNCTION tmi.issue_token(listener text, ttl interval DEFAULT '1 hour')
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    RETURN tmi.issue_token('tmi_listener', listener, ttl);
END
$fn$;
COMMENT ON FUNCTION tmi.issue_token(text, interval) IS
    'A revocable JWT for the listener: tmi.issue_token(''tmi_listener'', listener, ttl)';

CREATE FUNCTION tmi.listener_targets(listener text)
RETURNS TABLE (target_id uuid, kind text, name text, ext_key text, updated_at timestamptz, meta jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM tmi.listener_id(listener); -- 42704 for an unknown listener
    IF NOT tmi.caller_is_speaker() AND tmi.current_listener() IS DISTINCT FROM listener THEN
        RAISE EXCEPTION 'permission denied for listener "%"', listener USING ERRCODE = '42501',
            DETAIL = pg_catalog.format('The request''s listener claim is %s.', coalesce(tmi.current_listener(), 'absent')),
            HINT = 'Use a token issued for this listener: tmi.issue_token(listener).';
    END IF;
    RETURN QUERY
    -- the rule of tmi.listener_scope, worked out once
    SELECT t.target_id, t.kind, t.name, t.ext_key, t.updated_at, tmi.scope_only(sc.scope, t.kind, t.target_id, t.meta)
      FROM (SELECT tmi.listener_scope(listener_targets.listener) AS scope) sc
     CROSS JOIN tmi.target t
     WHERE tmi.scope_sees(sc.scope, t.kind, t.target_id)
     ORDER BY t.kind, t.name, t.target_id;
END
$fn$;
COMMENT ON FUNCTION tmi.listener_targets(text) IS
    'The targets the listener is subscribed to, with only its fields; for that listener, speakers and admins';

CREATE FUNCTION tmi.listener_obs(listener text, kind text, since timestamptz DEFAULT '-infinity', max_rows integer DEFAULT 1000)
RETURNS TABLE (obs_id bigint, target_id uuid, ts timestamptz, payload jsonb)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    IF max_rows IS NULL OR max_rows < 1 THEN
        RAISE EXCEPTION 'max_rows must be a positive number' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('max_rows = %s', coalesce(max_rows::text, 'NULL')),
            HINT = 'Pass how many observations to return at most, e.g. 1000.';
    END IF;
    RETURN QUERY
    SELECT o.obs_id, o.target_id, o.ts, tmi.scope_only(sc.scope, t.kind, t.target_id, o.payload)
      FROM (SELECT tmi.listener_scope(listener_obs.listener) AS scope) sc
     CROSS JOIN tmi.listener_targets(listener_obs.listener) t
      JOIN tmi.ts_obs o ON o.target_id = t.target_id
     WHERE t.kind = listener_obs.kind AND o.ts >= coalesce(since, '-infinity')
     ORDER BY o.ts, o.obs_id
     LIMIT max_rows;
END
$fn$;
COMMENT ON FUNCTION tmi.listener_obs(text, text, timestamptz, integer) IS
    'Observations since a time of the listener''s targets of one kind, oldest first, with only its fields';

ALTER TABLE tmi.target ENABLE ROW LEVEL SECURITY;
ALTER TABLE tmi.ts_obs ENABLE ROW LEVEL SECURITY;
ALTER TABLE tmi.geo_trace ENABLE ROW LEVEL SECURITY;
CREATE POLICY target_speaker ON tmi.target TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY target_listener ON tmi.target FOR SELECT TO tmi_listener USING (tmi.listener_sees(target_id));
CREATE POLICY ts_obs_speaker ON tmi.ts_obs TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY ts_obs_listener ON tmi.ts_obs FOR SELECT TO tmi_listener USING (tmi.listener_sees(target_id));
CREATE POLICY geo_trace_speaker ON tmi.geo_trace TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY geo_trace_listener ON tmi.geo_trace FOR SELECT TO tmi_listener USING (tmi.listener_sees(target_id));

DO $crypto_path$
DECLARE
    crypto_schema name := (SELECT n.nspname
                             FROM pg_catalog.pg_extension e
                             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'pgcrypto');
BEGIN
    EXECUTE pg_catalog.format('ALTER FUNCTION tmi.jwt_secret() SET search_path = pg_catalog, %I', crypto_schema);
    EXECUTE pg_catalog.format('ALTER FUNCTION tmi.issue_token(text, text, interval) SET search_path = pg_catalog, %I',
                              crypto_schema);
END
$crypto_path$;

