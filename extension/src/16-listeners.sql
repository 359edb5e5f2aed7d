-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Listeners: who may read what. A listener is subscribed to targets or whole
-- kinds, with all fields or some. The gateway runs each request under the role
-- of its JWT (SET LOCAL ROLE) with the claims in request.jwt.claims, as
-- PostgREST does; row-level security then shows a tmi_listener only the targets
-- (and their observations and positions) that its listener claim is subscribed
-- to. Listeners may not read target.meta or ts_obs.payload directly: the
-- SECURITY DEFINER functions tmi.visible_meta/visible_payload hand out only
-- the subscribed fields, and the api_vN views read attributes through them.
-- Speakers (and admins) see and write every row.
-------------------------------------------------------------------------------
CREATE UNIQUE INDEX listener_subscription_target_key ON tmi.listener_subscription (listener_id, target_id)
    WHERE target_id IS NOT NULL;
CREATE UNIQUE INDEX listener_subscription_kind_key ON tmi.listener_subscription (listener_id, kind)
    WHERE kind IS NOT NULL;

CREATE TABLE tmi.server_secret (
    name       text        PRIMARY KEY,
    secret     bytea       NOT NULL CONSTRAINT server_secret_length CHECK (pg_catalog.length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.server_secret IS 'Secrets of this database, e.g. the key that signs JWTs (readable by superusers only)';

-- search_path is completed at the end of this section with the schema of pgcrypto
CREATE FUNCTION tmi.jwt_secret()
RETURNS bytea
LANGUAGE plpgsql
SECURITY DEFINER
AS $fn$
DECLARE
    key bytea;
BEGIN
    INSERT INTO tmi.server_secret (name, secret) VALUES ('jwt', gen_random_bytes(32))
    ON CONFLICT (name) DO NOTHING;
    SELECT s.secret INTO key FROM tmi.server_secret s WHERE s.name = 'jwt';
    RETURN key;
END
$fn$;
COMMENT ON FUNCTION tmi.jwt_secret() IS
    'The HS256 key that signs and verifies JWTs, created at first use; the gateway reads it when not configured';

CREATE FUNCTION tmi.current_listener()
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT NULLIF(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'listener';
END;
COMMENT ON FUNCTION tmi.current_listener() IS
    'The listener named by the request''s JWT claims (request.jwt.claims), or NULL';

-- SECURITY DEFINER functions run as their owner, so the caller is the role set
-- with SET ROLE (the gateway's SET LOCAL ROLE), else the session user.
CREATE FUNCTION tmi.caller_is_speaker()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT coalesce(bool_or(r.rolsuper OR pg_catalog.pg_has_role(r.oid, 'tmi_speaker', 'MEMBER')), false)
      FROM pg_catalog.pg_roles r
     WHERE r.rolname = CASE WHEN pg_catalog.current_setting('role') = 'none' THEN SESSION_USER
                            ELSE pg_catalog.current_setting('role') END;
END;
COMMENT ON FUNCTION tmi.caller_is_speaker() IS
    'Whether the calling role (SET ROLE, else the session user) is a superuser, speaker or admin';

CREATE FUNCTION tmi.only_fields(doc jsonb, fields text[])
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN fields IS NULL OR doc IS NULL THEN doc
                ELSE coalesce((SELECT pg_catalog.jsonb_object_agg(e.key, e.value)
                                 FROM pg_catalog.jsonb_each(doc) e
                                WHERE e.key = ANY (fields)), '{}'::jsonb) END;
END;
COMMENT ON FUNCTION tmi.only_fields(jsonb, text[]) IS 'The keys of doc that are in fields (all of them when fields is NULL)';

-------------------------------------------------------------------------------
-- What a listener sees: one rule, defined here only. A listener's subscriptions
-- become a scope (tmi.listener_scope); tmi.scope_sees and tmi.scope_fields
-- decide for a target of a kind (its current kind). Everything else derives from
-- these: row-level security (tmi.listener_sees), tmi.fields_of, the api_vN views
-- (tmi.caller_scope, tmi.scope_only) and the WebSocket stream (tmi.events_seen).
-------------------------------------------------------------------------------
-- A listener's subscriptions, {"kinds": {kind: fields}, "targets": {id: fields}}, fields being
-- an array, or null for all of them; {} for each when there is no such listener (nothing).
CREATE FUNCTION tmi.listener_scope(listener_name text)
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT jsonb_build_object(
               'kinds', coalesce((SELECT jsonb_object_agg(k.kind, k.fields) FROM (
                   SELECT s.kind, CASE WHEN bool_or(s.fields IS NULL) THEN NULL
                                       ELSE coalesce(jsonb_agg(DISTINCT f.name) FILTER (WHERE f.name IS NOT NULL), '[]') END AS fields
                     FROM tmi.listener l JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
                     LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
                    WHERE l.name = listener_scope.listener_name AND s.kind IS NOT NULL
                    GROUP BY s.kind) k), '{}'),
               'targets', coalesce((SELECT jsonb_object_agg(g.target_id, g.fields) FROM (
                   SELECT s.target_id, CASE WHEN bool_or(s.fields IS NULL) THEN NULL
                                            ELSE coalesce(jsonb_agg(DISTINCT f.name) FILTER (WHERE f.name IS NOT NULL), '[]') END AS fields
                     FROM tmi.listener l JOIN tmi.listener_subscription s ON s.listener_id = l.listener_id
                     LEFT JOIN LATERAL unnest(s.fields) AS f(name) ON true
                    WHERE l.name = listener_scope.listener_name AND s.target_id IS NOT NULL
                    GROUP BY s.target_id) g), '{}'));
END;
COMMENT ON FUNCTION tmi.listener_scope(text) IS
    'What a listener may read: its subscribed kinds and targets with their fields (the rule tmi.scope_sees and tmi.scope_fields apply)';

-- per row, from a scope worked out once: cheap enough to inline
CREATE FUNCTION tmi.scope_sees(scope jsonb, kind text, target uuid)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    -- false, not NULL, for a kind or target absent from the scope (or from the event)
    SELECT scope IS NULL OR coalesce((scope -> 'kinds') ? kind, false) OR coalesce((scope -> 'targets') ? target::text, false);
END;
COMMENT ON FUNCTION tmi.scope_sees(jsonb, text, uuid) IS 'Whether a caller with this scope (tmi.caller_scope) sees a target';

-- the union of the fields of the kind's and the target's subscriptions; NULL when one allows all
CREATE FUNCTION tmi.scope_fields(scope jsonb, kind text, target uuid)
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN scope IS NULL THEN NULL
                WHEN NOT tmi.scope_sees(scope, kind, target) THEN '{}'::text[]
                WHEN scope -> 'kinds' -> kind = 'null' OR scope -> 'targets' -> target::text = 'null' THEN NULL
                ELSE ARRAY(SELECT DISTINCT f.name FROM jsonb_array_elements_text(
                         coalesce(scope -> 'kinds' -> kind, '[]') || coalesce(scope -> 'targets' -> target::text, '[]')) AS f(name)
                         ORDER BY f.name)
           END;
END;
COMMENT ON FUNCTION tmi.scope_fields(jsonb, text, uuid) IS
    'The fields of a target a caller with this scope may read: NULL for all of them, none when it does not see the target';

CREATE FUNCTION tmi.scope_only(scope jsonb, kind text, target uuid, doc jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN tmi.scope_sees(scope, kind, target) THEN tmi.only_fields(doc, tmi.scope_fields(scope, kind, target)) END;
END;
COMMENT ON FUNCTION tmi.scope_only(jsonb, text, uuid, jsonb) IS
    'The fields of doc (a target''s attributes or an observation) that a caller with this scope may read, NULL when it sees none';

-- What the caller may read, worked out once per statement by the api_vN views (tmi.visible_meta
-- and tmi.visible_payload answer the same per row): NULL for speakers and admins (everything);
-- otherwise the scope of the request's listener (nothing for a caller who is no listener).
CREATE FUNCTION tmi.caller_scope()
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT CASE WHEN tmi.caller_is_speaker() THEN NULL ELSE tmi.listener_scope(tmi.current_listener()) END;
END;
COMMENT ON FUNCTION tmi.caller_scope() IS
    'What the caller may read: NULL (all) for speakers and admins, else its listener''s subscribed kinds and targets with their fields';

-- row-level security's question, per row: the same rule for the target's current kind
CREATE FUNCTION tmi.listener_sees(target uuid)
RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT coalesce((SELECT tmi.scope_sees(tmi.listener_scope(tmi.current_listener()), t.kind, t.target_id)
                       FROM tmi.target t WHERE t.target_id = listener_sees.target), false);
END;
COMMENT ON FUNCTION tmi.listener_sees(uuid) IS
    'Whether the request''s listener is subscribed to the target (itself or its kind)';

CREATE FUNCTION tmi.fields_of(listener_name text, target uuid)
RETURNS text[]
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    -- NULL: every field; otherwise the union of the subscriptions' fields (none when not subscribed)
    SELECT CASE WHEN t.target_id IS NULL THEN '{}'::text[]
                ELSE tmi.scope_fields(tmi.listener_scope(fields_of.listener_name), t.kind, t.target_id) END
      FROM (SELECT fields_of.target AS id) AS asked
      LEFT JOIN tmi.target t ON t.target_id = asked.id;
END;
COMMENT ON FUNCTION tmi.fields_of(text, uuid) IS
    'Fields of the target the listener is subscribed to: NULL for all of them, none when not subscribed';

-- An event's payload narrowed to fields (NULL: all of them): meta of target events and each
-- reading (payload, and previous of a correction) of observation events; an alarm keeps its value
-- only for readers of all fields, as the value may be of any field. A table of one row, so that a
-- query calling it in FROM gets its body inlined: as a scalar call it would start an executor for
-- every event.
CREATE FUNCTION tmi.event_within(fields text[], event_type text, payload jsonb)
RETURNS TABLE (seen jsonb)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN fields IS NULL THEN payload
                WHEN event_type LIKE 'target.%' AND jsonb_typeof(payload -> 'meta') = 'object'
                    THEN jsonb_set(payload, '{meta}', tmi.only_fields(payload -> 'meta', fields))
                WHEN event_type IN ('obs', 'obs.corrected') AND jsonb_typeof(payload -> 'obs') = 'array'
                    THEN jsonb_set(payload, '{obs}', (
                        SELECT coalesce(jsonb_agg((
                                   SELECT jsonb_object_agg(r.key, CASE WHEN r.key IN ('payload', 'previous') AND jsonb_typeof(r.value) = 'object'
                                                                       THEN tmi.only_fields(r.value, fields)
                                                                       ELSE r.value END)
                                     FROM jsonb_each(o.reading) AS r) ORDER BY o.n), '[]')
                          FROM jsonb_array_elements(payload -> 'obs') WITH ORDINALITY AS o(reading, n)))
                WHEN event_type LIKE 'alarm.%' THEN payload - 'value'
                ELSE payload
           END;
END;
COMMENT ON FUNCTION tmi.event_within(text[], text, jsonb) IS
    'The payload of an event narrowed to fields (NULL: all of them); an alarm''s value only for all fields';

-- The events after after_id (tmi.events_since) as readers see them. for_readers is an array of
-- {"scope": <tmi.listener_scope, null: all>, "fields": [..] or null}; the session keeps them (in
-- temporary tables), and a call with NULL reads for the readers the session was given last, so
-- that a reader of the live stream sends and parses them only when they change. One row per event
-- and payload: readers names the readers (their 1-based places in for_readers) that read seen; an
-- event hidden from every reader comes once, with readers '{}' and seen NULL, so that a cursor
-- passes it. What decides is the target's current kind, as for every other read; an event without
-- a target (any more) is decided by its own kind. Who sees a subject (a target and its current
-- kind), and which of its fields, is worked out by tmi.scope_sees and tmi.scope_fields once per
-- subject and reader while the session keeps the same readers, not at every call; readers that
-- may read the same fields (those they may, within those they asked for) share one payload, shaped
-- once per event (what the session works out is kept up to 64 MB, then started again). The cost
-- of a call grows with its events and their distinct payloads, not with the readers.
CREATE FUNCTION tmi.events_seen(after_id bigint, max_events integer, for_readers jsonb)
RETURNS TABLE (event_id bigint, ts timestamptz, event_type text, kind text, target_id uuid, readers integer[], seen text)
LANGUAGE plpgsql
SET search_path = pg_catalog
-- the planner's guesses (a thousand events, every reader) exceed jit_above_cost; compiling would take longer than the read
SET jit = off
AS $fn$
#variable_conflict use_column
BEGIN
    IF for_readers IS NOT NULL THEN
        IF to_regclass('pg_temp.tmi_seen_reader') IS NULL THEN
            CREATE TEMPORARY TABLE tmi_seen_reader (n integer PRIMARY KEY, scope jsonb, fields text[]);
            -- per subject, one row per group of readers that get the same payload; none of them: one row without readers
            CREATE TEMPORARY TABLE tmi_seen_group (subject text NOT NULL, first integer, readers integer[], fields text[]);
            CREATE INDEX ON pg_temp.tmi_seen_group (subject);
        END IF;
        DELETE FROM pg_temp.tmi_seen_group;
        DELETE FROM pg_temp.tmi_seen_reader;
        INSERT INTO pg_temp.tmi_seen_reader (n, scope, fields)
        SELECT x.n, nullif(x.reader -> 'scope', 'null'),
               CASE WHEN jsonb_typeof(x.reader -> 'fields') = 'array'
                    THEN ARRAY(SELECT DISTINCT f.name FROM jsonb_array_elements_text(x.reader -> 'fields') AS f(name) ORDER BY f.name) END
          FROM jsonb_array_elements(for_readers) WITH ORDINALITY AS x(reader, n);
    ELSIF to_regclass('pg_temp.tmi_seen_reader') IS NULL THEN
        RAISE EXCEPTION 'this session has no readers for tmi.events_seen'
            USING ERRCODE = '22023', DETAIL = 'for_readers is NULL and no earlier call of this session gave readers.',
                  HINT = 'Pass the readers (an array of {"scope": ..., "fields": ...}) at least once per session.';
    ELSIF pg_total_relation_size('pg_temp.tmi_seen_group') > 64 * 1024 * 1024 THEN
        -- a session that meets many targets forgets what it worked out about them, and works it out again as it meets them
        TRUNCATE pg_temp.tmi_seen_group;
    END IF;
    RETURN QUERY
    WITH e AS MATERIALIZED (
        SELECT e.event_id, e.ts, e.event_type, e.kind, e.target_id, e.payload, coalesce(t.kind, e.kind) AS seen_kind,
               coalesce(e.target_id::text, '') || '/' || coalesce(t.kind, e.kind, '') AS subject
          FROM tmi.events_since(after_id, max_events) AS e
          LEFT JOIN tmi.target t ON t.target_id = e.target_id),
    s AS MATERIALIZED (SELECT DISTINCT e.subject, e.seen_kind, e.target_id FROM e),
    known AS MATERIALIZED (
        SELECT g.subject, g.first, g.readers, g.fields FROM pg_temp.tmi_seen_group g WHERE g.subject IN (SELECT s.subject FROM s)),
    -- subjects met for the first time with these readers: who sees them, grouped by the fields they get
    fresh AS (
        INSERT INTO pg_temp.tmi_seen_group (subject, first, readers, fields)
        SELECT s.subject, g.first, g.readers, g.fields
          FROM s
          LEFT JOIN LATERAL (
              SELECT min(r.n) AS first, array_agg(r.n ORDER BY r.n) AS readers, w.fields
                FROM pg_temp.tmi_seen_reader r
               CROSS JOIN LATERAL (SELECT tmi.scope_fields(r.scope, s.seen_kind, s.target_id) AS allowed) a
               CROSS JOIN LATERAL (SELECT CASE WHEN a.allowed IS NULL THEN r.fields
                                               WHEN r.fields IS NULL THEN a.allowed
                                               ELSE ARRAY(SELECT f.name FROM unnest(a.allowed) AS f(name)
                                                           WHERE f.name = ANY (r.fields) ORDER BY f.name) END AS fields) w
               WHERE tmi.scope_sees(r.scope, s.seen_kind, s.target_id)
               GROUP BY w.fields) g ON true
         WHERE s.subject NOT IN (SELECT known.subject FROM known)
        RETURNING subject, first, readers, fields),
    g AS (SELECT * FROM known UNION ALL SELECT * FROM fresh)
    SELECT e.event_id, e.ts, e.event_type, e.kind, e.target_id, coalesce(g.readers, '{}'),
           CASE WHEN g.first IS NOT NULL THEN w.seen::text END
      FROM e
      LEFT JOIN g ON g.subject = e.subject
      LEFT JOIN LATERAL tmi.event_within(g.fields, e.event_type, e.payload) AS w ON g.first IS NOT NULL
     ORDER BY e.event_id, g.first;
END
$fn$;
COMMENT ON FUNCTION tmi.events_seen(bigint, integer, jsonb) IS
    'Events after after_id in commit order, each with its payload for the readers (scope and fields) that see it, one row per distinct payload; NULL readers: those the session gave last';

-- Subscriptions changed: who holds scopes (the gateway's WebSocket side) reloads them at once.
CREATE FUNCTION tmi.notify_listeners()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM pg_catalog.pg_notify('tmi_listeners', '');
    RETURN NULL;
END
$fn$;
CREATE TRIGGER listener_subscription_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tmi.listener_subscription
    FOR EACH STATEMENT EXECUTE FUNCTION tmi.notify_listeners();
-- (end of: what a listener sees)

-- A downsampled series: one numeric field of one target averaged per interval (date_bin, so
-- the same on native partitions and on a hypertable), within what the caller may read. Exact:
-- every reading of the range is read (a chart of 1,000,000 readings asks for 1,000 points).
CREATE FUNCTION tmi.series(target uuid, field text, bucket interval,
                           since timestamptz DEFAULT '-infinity', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (ts timestamptz, avg double precision, min double precision, max double precision, n bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    kind text;
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass a target id, e.g. from /<kind>?ext_key=eq.<key>.');
    PERFORM tmi.require(field, 'field', 'Name a numeric observation field, e.g. ''pm10''.');
    PERFORM tmi.require(bucket, 'bucket', 'Pass the width of each point, e.g. ''1 hour''.');
    IF bucket <= interval '0' OR extract(month FROM bucket) <> 0 OR extract(year FROM bucket) <> 0 THEN
        RAISE EXCEPTION 'bucket must be a positive interval of days or less' USING ERRCODE = '22023',
            DETAIL = format('bucket = %s', bucket), HINT = 'Pass e.g. ''5 minutes'', ''1 hour'' or ''7 days''.';
    END IF;
    SELECT t.kind INTO kind FROM tmi.target t WHERE t.target_id = target;
    -- a target or field the caller may not read is answered as if it did not exist
    IF kind IS NULL OR NOT tmi.scope_only(tmi.caller_scope(), kind, target, jsonb_build_object(field, 0)) ? field THEN
        RAISE EXCEPTION 'no field "%" of target % to read', field, target USING ERRCODE = '42704',
            HINT = 'Name a target you may read and one of its numeric fields.';
    END IF;
    -- The field is looked up once a reading, in the innermost subquery, and taken as the numeric
    -- it is stored as (not through text to double precision). OFFSET 0 keeps each subquery's
    -- columns from being copied into every aggregate, which repeated the lookup once per
    -- aggregate; and with no filter on the field's type the planner knows how many readings come
    -- (it expected 0.5 % of them and sorted them all, on disk). Readings without a number in the
    -- field are not counted; a bucket without one is left out.
    RETURN QUERY
    SELECT r.b, avg(r.v)::double precision, min(r.v)::double precision, max(r.v)::double precision, count(r.v)
      FROM (SELECT x.b, CASE WHEN jsonb_typeof(x.j) = 'number' THEN x.j::numeric END AS v
              FROM (SELECT date_bin(bucket, o.ts, timestamptz '2000-01-01 00:00Z') AS b, o.payload -> field AS j
                      FROM tmi.ts_obs o
                     WHERE o.target_id = target AND o.ts >= since AND o.ts < until
                    OFFSET 0) x
            OFFSET 0) r
     GROUP BY 1 HAVING count(r.v) > 0 ORDER BY 1;
END
$fn$;
COMMENT ON FUNCTION tmi.series(uuid, text, interval, timestamptz, timestamptz) IS
    'A numeric field of a target averaged per bucket (with min, max and count), for charts of long series';

-- Alarms within what the caller may read: those of targets it sees, with the value only for a
-- caller that may read the alarm's field (as the WebSocket stream sends alarm events).
CREATE FUNCTION tmi.alarms(target uuid DEFAULT NULL, history boolean DEFAULT false)
RETURNS TABLE (alarm_id bigint, target_id uuid, kind text, name text, ext_key text, field text, op text,
               threshold double precision, severity text, state text, value double precision,
               raised_at timestamptz, acked_at timestamptz, cleared_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
    SELECT a.alarm_id, a.target_id, t.kind, t.name, t.ext_key, r.field, r.op, r.threshold, r.severity, a.state,
           CASE WHEN tmi.scope_only(c.scope, t.kind, a.target_id, jsonb_build_object(r.field, 0)) ? r.field THEN a.value END,
           a.raised_at, a.acked_at, a.cleared_at
      FROM tmi.caller_scope() AS c (scope)
     CROSS JOIN tmi.alarm_event a
      JOIN tmi.alarm_rule r ON r.rule_id = a.rule_id
      JOIN tmi.target t ON t.target_id = a.target_id
     WHERE (alarms.target IS NULL OR a.target_id = alarms.target)
       AND (alarms.history OR a.state <> 'cleared')
       AND tmi.scope_sees(c.scope, t.kind, a.target_id)
     ORDER BY a.raised_at DESC, a.alarm_id DESC
$fn$;
COMMENT ON FUNCTION tmi.alarms(uuid, boolean) IS
    'Open alarms (with history, cleared ones too) of the targets the caller sees, newest first; the value only for readers of its field';

-- The SQL front door in an API schema, so that clients speaking only HTTP reach it as /rpc/<name>
-- in every version; each wrapper is granted to the roles the function it calls is granted to.
CREATE FUNCTION tmi.install_api_functions(api name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    f record;
    fn regprocedure;
BEGIN
    FOR f IN SELECT * FROM (VALUES
        ('ingest(source text, payload jsonb) RETURNS bigint VOLATILE', 'SELECT tmi.ingest(source, payload)',
         'tmi_speaker'),
        ('observe(target uuid, ts timestamptz, payload jsonb, lat double precision DEFAULT NULL,'
         ' lon double precision DEFAULT NULL) RETURNS bigint VOLATILE', 'SELECT tmi.observe(target, ts, payload, lat, lon)',
         'tmi_speaker'),
        ('near(lat double precision, lon double precision, radius_m double precision, kind text DEFAULT NULL,'
         ' since timestamptz DEFAULT NULL) RETURNS TABLE (target_id uuid, name text, target_kind text,'
         ' target_lat double precision, target_lon double precision, seen_at timestamptz, distance_m double precision) STABLE',
         'SELECT * FROM tmi.near(lat, lon, radius_m, kind, since)', 'tmi_speaker'),
        ('target_id(kind text, ext_key text) RETURNS uuid STABLE', 'SELECT tmi.target_id(kind, ext_key)', 'tmi_speaker'),
        ('events_since(after_id bigint DEFAULT 0, max_events integer DEFAULT 1000) RETURNS TABLE (event_id bigint,'
         ' ts timestamptz, event_type text, kind text, target_id uuid, payload jsonb) VOLATILE',
         'SELECT * FROM tmi.events_since(after_id, max_events)', 'tmi_admin'),
        ('status() RETURNS TABLE (subsystem text, state text, detail text) STABLE', 'SELECT * FROM tmi.status()',
         'tmi_listener'),
        ('series(target uuid, field text, bucket interval, since timestamptz DEFAULT ''-infinity'','
         ' until timestamptz DEFAULT ''infinity'') RETURNS TABLE (ts timestamptz, avg double precision,'
         ' min double precision, max double precision, n bigint) STABLE',
         'SELECT * FROM tmi.series(target, field, bucket, since, until)', 'tmi_listener'),
        -- connectors and their run state (secrets masked, tmi.connectors), for consoles and other clients
        ('connectors() RETURNS TABLE (connector_id bigint, name text, url text, every interval, format text, options jsonb,'
         ' enabled boolean, created_at timestamptz, last_attempt timestamptz, last_success timestamptz, last_status integer,'
         ' last_error text, consecutive_failures integer, next_run timestamptz, mapping text, suggestion jsonb,'
         ' suggestion_note text) STABLE', 'SELECT * FROM tmi.connectors',
         'tmi_speaker'),
        -- alarms as the caller may read them (tmi.alarms), acknowledged by admins (tmi.ack_alarm)
        ('alarms(target uuid DEFAULT NULL, history boolean DEFAULT false) RETURNS TABLE (alarm_id bigint, target_id uuid,'
         ' kind text, name text, ext_key text, field text, op text, threshold double precision, severity text, state text,'
         ' value double precision, raised_at timestamptz, acked_at timestamptz, cleared_at timestamptz) STABLE',
         'SELECT * FROM tmi.alarms(target, history)', 'tmi_listener'),
        ('ack_alarm(alarm_id bigint) RETURNS void VOLATILE', 'SELECT tmi.ack_alarm(alarm_id)', 'tmi_admin'),
        ('schema_history(kind text) RETURNS TABLE (version integer, change text, diff jsonb, attrs jsonb,'
         ' created_at timestamptz) STABLE', 'SELECT * FROM tmi.schema_history(kind)', 'tmi_listener'),
        -- what the console and other clients configure over REST: connectors, their mapping rules
        -- (previewed and suggested by tmidb-worker), listeners' tokens; and a target's files
        ('add_connector(name text, url text, every interval DEFAULT ''1 minute'', format text DEFAULT ''json'','
         ' options jsonb DEFAULT ''{}'', mapping text DEFAULT ''manual'') RETURNS bigint VOLATILE',
         'SELECT tmi.add_connector(name, url, every, format, options, mapping)', 'tmi_admin'),
        ('set_connector(name text, url text DEFAULT NULL, every interval DEFAULT NULL, format text DEFAULT NULL,'
         ' options jsonb DEFAULT NULL, enabled boolean DEFAULT NULL) RETURNS bigint VOLATILE',
         'SELECT tmi.set_connector(name, url, every, format, options, enabled)', 'tmi_admin'),
        ('run_connector(name text) RETURNS timestamptz VOLATILE', 'SELECT tmi.run_connector(name)', 'tmi_admin'),
        ('source_documents(source text, max_documents integer DEFAULT 1) RETURNS TABLE (raw_id bigint, ts timestamptz,'
         ' status text, http_status integer, content_type text, payload jsonb) STABLE',
         $body$SELECT r.raw_id, r.ts, r.status, r.http_status, r.content_type, r.payload FROM tmi.raw_bucket r
                WHERE r.source = $1 ORDER BY r.raw_id DESC LIMIT $2$body$, 'tmi_speaker'),
        ('mapping_rule(source text) RETURNS TABLE (rule jsonb, enabled boolean, updated_at timestamptz) STABLE',
         $body$SELECT m.rule, m.enabled, m.updated_at FROM tmi.mapping_rule m WHERE m.source = $1$body$, 'tmi_admin'),
        ('add_mapping(source text, rule jsonb) RETURNS bigint VOLATILE', 'SELECT tmi.add_mapping(source, rule)', 'tmi_admin'),
        ('mapping_preview(rule jsonb, payload jsonb) RETURNS jsonb VOLATILE', 'SELECT tmi.mapping_preview(rule, payload)',
         'tmi_admin'),
        ('suggest_mapping(source text) RETURNS jsonb VOLATILE', 'SELECT tmi.suggest_mapping(source)', 'tmi_admin'),
        ('test_connector(name text) RETURNS jsonb VOLATILE', 'SELECT tmi.test_connector(name)', 'tmi_admin'),
        ('listeners() RETURNS TABLE (listener_id bigint, name text, created_at timestamptz, subscriptions jsonb,'
         ' tokens jsonb) STABLE',
         $body$SELECT l.listener_id, l.name, l.created_at,
                coalesce((SELECT jsonb_agg(jsonb_build_object('kind', coalesce(s.kind, t.kind), 'target_id', s.target_id,
                                  'target', coalesce(t.name, t.ext_key), 'fields', s.fields) ORDER BY s.subscription_id)
                            FROM tmi.listener_subscription s LEFT JOIN tmi.target t ON t.target_id = s.target_id
                           WHERE s.listener_id = l.listener_id), '[]'),
                coalesce((SELECT jsonb_agg(jsonb_build_object('token_id', k.token_id, 'issued_at', k.issued_at,
                                  'expires_at', k.expires_at, 'revoked_at', k.revoked_at) ORDER BY k.issued_at DESC)
                            FROM tmi.token k WHERE k.listener_id = l.listener_id), '[]')
                FROM tmi.listener l ORDER BY l.name$body$, 'tmi_admin'),
        ('issue_token(role text, subject text, ttl interval DEFAULT ''1 hour'') RETURNS text VOLATILE',
         'SELECT tmi.issue_token(role, subject, ttl)', 'tmi_admin'),
        ('revoke_tokens(role text, subject text) RETURNS integer VOLATILE', 'SELECT tmi.revoke_tokens(role, subject)',
         'tmi_admin'),
        -- as the caller: row-level security shows a listener the files of the targets it sees
        ('target_files(target uuid) RETURNS TABLE (file_id bigint, name text, version integer, content_type text,'
         ' size_bytes bigint, sha256 text, created_at timestamptz) STABLE',
         $body$SELECT f.file_id, f.name, f.version, f.content_type, f.size_bytes, f.sha256, f.created_at
                FROM tmi.file_attachment f WHERE f.target_id = $1 ORDER BY f.name, f.version DESC$body$, 'tmi_listener')
    ) AS v (signature, body, grantee) LOOP
        EXECUTE format('CREATE OR REPLACE FUNCTION %I.%s LANGUAGE sql AS %L', api, f.signature, f.body);
        SELECT p.oid::regprocedure INTO fn FROM pg_proc p
         WHERE p.pronamespace = api::regnamespace AND p.proname = split_part(f.signature, '(', 1);
        -- made while the extension is updated, it would belong to the extension, as the API's
        -- views do not: pg_dump would leave it out and DROP EXTENSION take it
        IF EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = fn AND d.deptype = 'e') THEN
            EXECUTE format('ALTER EXTENSION tmidb DROP FUNCTION %s', fn);
        END IF;
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn, f.grantee);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION tmi.install_api_functions(name) IS
    'Creates the front door''s /rpc functions (ingest, observe, near, target_id, events_since, status, series, connectors, alarms, ack_alarm, schema_history, and what clients configure: connectors, mapping rules, tokens; target_files) in an API schema';

CREATE FUNCTION tmi.visible_meta(target uuid)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    doc jsonb;
BEGIN
    SELECT t.meta INTO doc FROM tmi.target t WHERE t.target_id = visible_meta.target;
    IF tmi.caller_is_speaker() THEN
        RETURN doc;
    END IF;
    IF NOT tmi.listener_sees(target) THEN
        RETURN NULL;
    END IF;
    RETURN tmi.only_fields(doc, tmi.fields_of(tmi.current_listener(), target));
END
$fn$;
COMMENT ON FUNCTION tmi.visible_meta(uuid) IS
    'The target''s attributes the caller may read: all for speakers, the subscribed fields for the request''s listener, else NULL';

CREATE FUNCTION tmi.visible_payload(target uuid, ts timestamptz, obs_id bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    doc jsonb;
BEGIN
    SELECT o.payload INTO doc FROM tmi.ts_obs o
     WHERE o.target_id = visible_payload.target AND o.ts = visible_payload.ts AND o.obs_id = visible_payload.obs_id;
    IF tmi.caller_is_speaker() THEN
        RETURN doc;
    END IF;
    IF NOT tmi.listener_sees(target) THEN
        RETURN NULL;
    END IF;
    RETURN tmi.only_fields(doc, tmi.fields_of(tmi.current_listener(), target));
END
$fn$;
COMMENT ON FUNCTION tmi.visible_payload(uuid, timestamptz, bigint) IS
    'The observation''s fields the caller may read: all for speakers, the subscribed fields for the request''s listener, else NULL';

CREATE FUNCTION tmi.listener_id(listener text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(listener, 'listener', 'Pass the name given to tmi.add_listener(name).');
    SELECT l.listener_id INTO id FROM tmi.listener l WHERE l.name = listener_id.listener;
    IF id IS NULL THEN
        RAISE EXCEPTION 'listener "%" does not exist', listener USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_listener(name).';
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.listener_id(text) IS 'The id of the listener with this name';

CREATE FUNCTION tmi.add_listener(name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(name, 'name', 'Name the listener; tokens and the endpoint /api/<name> refer to it.');
    IF name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid listener name "%"', name USING ERRCODE = '22023',
            DETAIL = 'A listener name is part of URLs such as /api/<name>.',
            HINT = 'Use letters, digits, ''_'', ''.'' and ''-'', starting with a letter or digit, at most 63 characters.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.listener l WHERE l.name = add_listener.name) THEN
        RAISE EXCEPTION 'listener "%" already exists', name USING ERRCODE = '23505',
            HINT = 'Choose another name, or subscribe the existing listener with tmi.subscribe().';
    END IF;
    INSERT INTO tmi.listener (name) VALUES (add_listener.name) RETURNING listener_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_listener(text) IS 'Creates a listener (a reader of tmiDB data). Returns its id.';

CREATE FUNCTION tmi.check_fields(fields text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF fields IS NOT NULL AND (cardinality(fields) = 0 OR array_position(fields, NULL) IS NOT NULL
                               OR array_position(fields, '') IS NOT NULL) THEN
        RAISE EXCEPTION 'fields must be NULL or a list of field names' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('fields = %s', fields),
            HINT = 'Pass e.g. ARRAY[''battery'', ''speed''], or leave fields out for all of them.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.check_fields(text[]) IS 'Raises 22023 unless fields is NULL or a non-empty list of names';

CREATE FUNCTION tmi.subscribe(listener text, target uuid, fields text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass a target id, e.g. tmi.target_id(kind, ext_key).');
    PERFORM tmi.check_fields(fields);
    IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = subscribe.target) THEN
        RAISE EXCEPTION 'target % does not exist', target USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target(name, kind, meta, ext_key).';
    END IF;
    INSERT INTO tmi.listener_subscription AS s (listener_id, target_id, fields)
    VALUES (lid, subscribe.target, subscribe.fields)
    ON CONFLICT (listener_id, target_id) WHERE target_id IS NOT NULL DO UPDATE SET fields = EXCLUDED.fields
    RETURNING s.subscription_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.subscribe(text, uuid, text[]) IS
    'Lets the listener read one target: all fields, or only those named. Subscribing again replaces the fields. Returns the subscription id.';

CREATE FUNCTION tmi.subscribe(listener text, kind text, fields text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(kind, 'kind', 'Pass a kind such as ''bike'', or a target id (uuid) for one target.');
    PERFORM tmi.check_fields(fields);
    IF kind !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid kind "%"', kind USING ERRCODE = '22023',
            HINT = 'Pass a kind (a lower-case identifier such as ''air_sensor''), or a target id cast to uuid.';
    END IF;
    INSERT INTO tmi.listener_subscription AS s (listener_id, kind, fields)
    VALUES (lid, subscribe.kind, subscribe.fields)
    ON CONFLICT (listener_id, kind) WHERE kind IS NOT NULL DO UPDATE SET fields = EXCLUDED.fields
    RETURNING s.subscription_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.subscribe(text, text, text[]) IS
    'Lets the listener read every target of a kind: all fields, or only those named. Subscribing again replaces the fields. Returns the subscription id.';

CREATE FUNCTION tmi.unsubscribe(listener text, target uuid)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass the target id the listener was subscribed to.');
    DELETE FROM tmi.listener_subscription s WHERE s.listener_id = lid AND s.target_id = unsubscribe.target;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION tmi.unsubscribe(text, uuid) IS
    'Ends the listener''s subscription to one target; returns whether there was one';

CREATE FUNCTION tmi.unsubscribe(listener text, kind text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    lid bigint := tmi.listener_id(listener);
BEGIN
    PERFORM tmi.require(kind, 'kind', 'Pass the kind the listener was subscribed to.');
    DELETE FROM tmi.listener_subscription s WHERE s.listener_id = lid AND s.kind = unsubscribe.kind;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION tmi.unsubscribe(text, text) IS
    'Ends the listener''s subscription to a kind; returns whether there was one';

CREATE FUNCTION tmi.base64url(data bytea)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT pg_catalog.translate(pg_catalog.encode(data, 'base64'), E'+/=\n', '-_');
END;
COMMENT ON FUNCTION tmi.base64url(bytea) IS 'Base64url without padding (RFC 7515), as JWTs use';

