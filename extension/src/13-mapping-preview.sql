-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Mapping previews on the worker host. tmi.mapping_preview is synchronous SQL,
-- but tmidb-worker sees only committed rows, and a function can neither commit
-- nor send anything (NOTIFY) before its caller's transaction ends. So the
-- request travels through a connection of its own (dblink, committed at once)
-- as the role tmi_preview, which may do nothing but queue a request and take
-- its answer. Its password is a random secret that CREATE EXTENSION keeps in
-- the data directory (tmidb_preview.secret, which only superusers can read),
-- shared by every database of the cluster as the role is.
--
-- The caller waits without polling: a running tmidb-worker reserves a few
-- request ids (tickets) and holds an advisory lock on each; a request takes one
-- of them, and its caller waits for that lock, which the worker releases once
-- the answer is committed. No ticket held: no worker runs, said at once.
-------------------------------------------------------------------------------
CREATE TABLE tmi.preview_request (
    request_id bigserial   PRIMARY KEY,
    rule       jsonb,
    payload    jsonb       NOT NULL,
    result     jsonb,
    sqlstate   text,
    error      text,
    hint       text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    task       text        NOT NULL DEFAULT 'preview'
               CONSTRAINT preview_request_task CHECK (task IN ('preview', 'suggestion', 'fetch')),
    source     text
);
COMMENT ON TABLE tmi.preview_request IS 'Previews, mapping suggestions and test fetches asked of tmidb-worker (a suggestion: payload holds the documents, newest first; a test fetch: source names the connector), and its answers';

-- a ticket's advisory lock is (this class, its request id)
CREATE FUNCTION tmi.preview_lock_class()
RETURNS integer
LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT 7630185; -- 'tmi' in ASCII
END;
COMMENT ON FUNCTION tmi.preview_lock_class() IS 'The first key of the advisory locks of preview tickets';

CREATE FUNCTION tmi.reserve_preview_ticket()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    id bigint := nextval(pg_get_serial_sequence('tmi.preview_request', 'request_id'));
BEGIN
    PERFORM pg_advisory_lock(tmi.preview_lock_class(), id::integer);
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.reserve_preview_ticket() IS
    'For tmidb-worker: reserves a request id for a preview and holds its lock until tmi.release_preview_ticket';

CREATE FUNCTION tmi.release_preview_ticket(id bigint)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT pg_catalog.pg_advisory_unlock(tmi.preview_lock_class(), id::integer);
END;
COMMENT ON FUNCTION tmi.release_preview_ticket(bigint) IS
    'For tmidb-worker: wakes the caller waiting for the preview of this request id (its answer is committed)';

-- what the running workers hold: none while no worker runs (or it has not started yet)
CREATE FUNCTION tmi.preview_tickets()
RETURNS SETOF bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT l.objid::bigint FROM pg_catalog.pg_locks l
     WHERE l.locktype = 'advisory' AND l.classid = tmi.preview_lock_class()::oid AND l.objsubid = 2
       AND l.mode = 'ExclusiveLock' AND l.granted
       AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database());
END;
COMMENT ON FUNCTION tmi.preview_tickets() IS
    'The request ids running tmidb-workers hold for previews (used or not); none while no worker runs';

-- run through the link, as tmi_preview: queues a request (a preview or a suggestion)
CREATE FUNCTION tmi.queue_request(task text, rule jsonb, payload jsonb, source text)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    tickets bigint[] := ARRAY(SELECT tmi.preview_tickets());
    id bigint;
    ticket bigint;
BEGIN
    IF cardinality(tickets) = 0 THEN
        RAISE EXCEPTION 'no tmidb-worker is running to answer the %', task USING ERRCODE = '55000',
            HINT = 'Start tmidb-worker (tmictl status shows it), run "tmictl mapping preview" or "tmictl mapping suggest" (the same code, outside the server), or, for previews, SELECT tmi.use_host(''pljava'').';
    END IF;
    -- the free tickets in random order: another caller may take the same one at the same moment
    FOR ticket IN SELECT t FROM unnest(tickets) t
                   WHERE NOT EXISTS (SELECT 1 FROM tmi.preview_request r WHERE r.request_id = t) ORDER BY random() LOOP
        INSERT INTO tmi.preview_request (request_id, task, rule, payload, source) VALUES (ticket, task, rule, payload, source)
        ON CONFLICT DO NOTHING
        RETURNING request_id INTO id;
        EXIT WHEN id IS NOT NULL;
    END LOOP;
    IF id IS NULL THEN
        RAISE EXCEPTION 'tmidb-worker is busy with % requests', cardinality(tickets) USING ERRCODE = '53000',
            HINT = 'Try again in a moment.';
    END IF;
    PERFORM pg_notify('tmi_preview', id::text);
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.queue_request(text, jsonb, jsonb, text) IS
    'For tmi.ask_worker, through its own connection: queues a request under a ticket a running tmidb-worker holds';

-- run through the link, as tmi_preview: the answer, once, or NULL if there is none
CREATE FUNCTION tmi.take_preview_answer(id bigint)
RETURNS jsonb
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    DELETE FROM tmi.preview_request p
     WHERE p.request_id = id AND (p.result IS NOT NULL OR p.error IS NOT NULL)
    RETURNING pg_catalog.jsonb_build_object('result', p.result, 'sqlstate', p.sqlstate, 'error', p.error, 'hint', p.hint);
END;
COMMENT ON FUNCTION tmi.take_preview_answer(bigint) IS
    'For tmi.ask_worker, through its own connection: the answer to a request, deleted as it is read';

CREATE FUNCTION tmi.preview_secret_file()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT pg_catalog.current_setting('data_directory') || '/tmidb_preview.secret';
END;
COMMENT ON FUNCTION tmi.preview_secret_file() IS 'Where the password of tmi_preview is kept: in the data directory';

-- Gives tmi_preview its password: the data directory's secret, shared by every database of the
-- cluster, made when missing (or when asked: after a leak, say); CREATE EXTENSION runs it.
CREATE FUNCTION tmi.renew_preview_link(new_secret boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    secret text := CASE WHEN NOT new_secret THEN btrim(pg_read_file(tmi.preview_secret_file(), 0, 1000, true), E'\n') END;
BEGIN
    IF secret IS NULL OR secret = '' THEN
        secret := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
        EXECUTE format('COPY (SELECT %L) TO %L', secret, tmi.preview_secret_file());
    ELSIF EXISTS (SELECT 1 FROM pg_authid WHERE rolname = 'tmi_preview' AND rolcanlogin AND rolpassword IS NOT NULL) THEN
        RETURN; -- set by an earlier CREATE EXTENSION (in any database): leave pg_authid alone
    END IF;
    -- inside a function, so log_statement does not log the password
    EXECUTE format('ALTER ROLE tmi_preview LOGIN PASSWORD %L', secret);
END
$fn$;
COMMENT ON FUNCTION tmi.renew_preview_link(boolean) IS
    'Sets the password of tmi_preview, the role tmi.mapping_preview connects back as, from the data directory''s secret (a new one if asked or missing)';
SELECT tmi.renew_preview_link();

-- One query through the link, as tmi_preview: over the server's own socket, else its loopback
-- address (pg_hba.conf may allow password logins on only one of them); its single value.
CREATE FUNCTION tmi.preview_link(query text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    dblink_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'dblink');
    secret text := btrim(pg_read_file(tmi.preview_secret_file(), 0, 1000, true), E'\n');
    hosts text[] := array_remove(ARRAY[nullif(btrim(split_part(current_setting('unix_socket_directories'), ',', 1)), ''),
                                       CASE WHEN current_setting('listen_addresses') <> '' THEN 'localhost' END], NULL);
    host text;
    value text;
    failure text := 'the server has neither a socket directory nor a listen address';
BEGIN
    IF secret IS NULL THEN
        RAISE EXCEPTION 'cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
            DETAIL = 'The data directory has no tmidb_preview.secret.',
            HINT = 'As a superuser: SELECT tmi.renew_preview_link();';
    END IF;
    FOREACH host IN ARRAY hosts LOOP
        BEGIN
            EXECUTE format('SELECT v FROM %I.dblink($1, $2) AS t (v text)', dblink_schema) INTO value
              USING format('host=%s port=%s dbname=%s user=tmi_preview password=%s application_name=tmidb-preview',
                           tmi.conninfo_value(host), current_setting('port'), tmi.conninfo_value(current_database()),
                           secret), query;
            RETURN value;
        EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR invalid_authorization_specification
                       OR connection_exception THEN
            GET STACKED DIAGNOSTICS failure = PG_EXCEPTION_DETAIL; -- libpq's reason
            failure := SQLERRM || coalesce(': ' || nullif(failure, ''), '');
        END;
    END LOOP;
    RAISE EXCEPTION 'cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
        DETAIL = failure,
        HINT = 'Let role tmi_preview log in with its password from the server itself (pg_hba.conf; if the password was changed,'
               ' a superuser runs SELECT tmi.renew_preview_link(true)), run "tmictl mapping preview" or "tmictl mapping suggest" (the same code,'
               ' outside the server), or SELECT tmi.use_host(''pljava'').';
END
$fn$;
COMMENT ON FUNCTION tmi.preview_link(text) IS
    'Runs one query as tmi_preview on a connection of its own to this database, and returns its value';

CREATE FUNCTION tmi.conninfo_value(v text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT '''' || replace(replace(v, '\', '\\'), '''', '\''') || '''';
END;
COMMENT ON FUNCTION tmi.conninfo_value(text) IS 'A value quoted for a libpq connection string';

-- The round trip of a request tmidb-worker answers while its caller waits: queued through the
-- link, answered once the ticket's lock is free, the answer taken through the link again.
CREATE FUNCTION tmi.ask_worker(task text, rule jsonb, payload jsonb, source text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog
SET lock_timeout = '30s'
AS $fn$
DECLARE
    id bigint;
    answer jsonb;
BEGIN
    id := tmi.preview_link(format('SELECT tmi.queue_request(%L, %L, %L, %L)', task, rule, payload, source));
    BEGIN
        PERFORM pg_advisory_lock_shared(tmi.preview_lock_class(), id::integer); -- released by the worker once it answered
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'tmidb-worker did not answer the % within 30 seconds', task USING ERRCODE = '57014',
            HINT = 'Check that tmidb-worker runs (tmictl status), or run "tmictl mapping preview" / "tmictl mapping suggest".';
    END;
    PERFORM pg_advisory_unlock_shared(tmi.preview_lock_class(), id::integer);
    answer := tmi.preview_link(format('SELECT tmi.take_preview_answer(%s)', id));
    IF answer IS NULL THEN
        RAISE EXCEPTION 'tmidb-worker stopped before it answered the %', task USING ERRCODE = '55000',
            HINT = 'Check that tmidb-worker runs (tmictl status), then try again.';
    ELSIF answer->>'error' IS NOT NULL THEN
        RAISE EXCEPTION '%', answer->>'error' USING ERRCODE = coalesce(answer->>'sqlstate', 'XX000'),
            HINT = coalesce(answer->>'hint', 'See the worker''s log.');
    END IF;
    RETURN answer->'result';
END
$fn$;
COMMENT ON FUNCTION tmi.ask_worker(text, jsonb, jsonb, text) IS
    'Asks tmidb-worker for a preview or a suggestion and waits for its answer';

-- On the PL/Java host, tmi.use_host('pljava') binds the Java itself instead.
CREATE FUNCTION tmi.mapping_preview(rule jsonb, payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.check_mapping_rule(rule);
    PERFORM tmi.require(payload, 'payload', 'Pass the document to preview as jsonb.');
    RETURN tmi.ask_worker('preview', rule, payload, NULL);
END
$fn$;
COMMENT ON FUNCTION tmi.mapping_preview(jsonb, jsonb) IS
    'What a document would become under a rule (targets, observations, positions, item errors), writing nothing; on the worker host tmidb-worker computes it';

-------------------------------------------------------------------------------
-- Suggested mappings: tmi.suggest_mapping asks tmidb-worker, on either host, to
-- propose a rule for a document or for a source's stored documents, the way a
-- preview is asked (tmi.ask_worker): the role model runs in the worker's JVM,
-- never inside the server. Nothing is written but the request and its answer;
-- a suggestion is applied by tmi.add_mapping.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.suggest_mapping(document jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(document, 'document', 'Pass the document to suggest a mapping for as jsonb.');
    RETURN tmi.ask_worker('suggestion', NULL, jsonb_build_array(document), NULL);
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_mapping(jsonb) IS
    'A proposed mapping rule for a document, with the confidence and reason of each element; writes nothing';

-- the documents a suggestion for a source reads: its newest few, newest first (two or more tell
-- attributes, which stay, from observations, which change)
CREATE FUNCTION tmi.suggestion_documents(source text)
RETURNS SETOF jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT r.payload FROM tmi.raw_bucket r WHERE r.source = suggestion_documents.source ORDER BY r.raw_id DESC LIMIT 3;
END;
COMMENT ON FUNCTION tmi.suggestion_documents(text) IS 'The newest documents stored for a source, newest first, that a mapping suggestion reads';

CREATE FUNCTION tmi.suggest_mapping(source text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    docs jsonb;
BEGIN
    PERFORM tmi.require(source, 'source', 'Name a connector or an ingest source.');
    SELECT jsonb_agg(d) INTO docs FROM tmi.suggestion_documents(source) d;
    IF docs IS NULL THEN
        RAISE EXCEPTION 'no document stored for source "%"', source USING ERRCODE = '42704',
            HINT = 'Let the connector fetch once (or tmi.ingest a document) first; to suggest from a document, pass it as jsonb: tmi.suggest_mapping(''{...}''::jsonb).';
    END IF;
    RETURN tmi.ask_worker('suggestion', NULL, docs, source);
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_mapping(text) IS
    'A proposed mapping rule for the newest documents stored for a source (connector or ingest label); writes nothing';
REVOKE ALL ON FUNCTION tmi.suggest_mapping(jsonb), tmi.suggestion_documents(text), tmi.suggest_mapping(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.suggest_mapping(jsonb), tmi.suggestion_documents(text), tmi.suggest_mapping(text) TO tmi_admin;

-------------------------------------------------------------------------------
-- Test fetches: tmi.test_connector asks tmidb-worker, on either host, to fetch
-- a connector once with the scheduled runs' own code and limits (connector-
-- allow-private and the others) and answer with the document raw_bucket would
-- get and its mapping rule's preview, the way a preview is asked (tmi.ask_worker,
-- a request of task 'fetch'). Nothing is stored and the run state stays as it
-- was, unlike tmi.run_connector.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.test_connector(name text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the name of the connector to test.');
    IF NOT EXISTS (SELECT 1 FROM tmi.ingest_connector x WHERE x.name = test_connector.name) THEN
        RAISE EXCEPTION 'connector "%" does not exist', name USING ERRCODE = '42704',
            HINT = 'See SELECT name FROM tmi.connectors; create one with tmi.add_connector().';
    END IF;
    -- the worker reads the connector itself: its options (secrets among them) never travel
    RETURN tmi.ask_worker('fetch', NULL, '{}', name);
END
$fn$;
COMMENT ON FUNCTION tmi.test_connector(text) IS
    'Fetches a connector once, writing nothing: {connector, url, format, has_rule, http_status, content_type, document (as raw_bucket would store it), preview or preview_error} or, when the fetch fails, {connector, url, format, has_rule, error, error_code, http_status}';
-- connectors' URLs and secrets are admin business; tmidb-worker answers the request and never calls it
REVOKE ALL ON FUNCTION tmi.test_connector(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.test_connector(text) TO tmi_admin;
