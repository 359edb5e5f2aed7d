-- SPDX-License-Identifier: MIT
-- Previews the worker answers: tmi.mapping_preview on the worker host hands the
-- request over through a connection of its own (dblink, committed at once, so the
-- worker can see it), and waits for the answer.
CREATE TABLE tmi.preview_request (
    request_id bigserial   PRIMARY KEY,
    rule       jsonb       NOT NULL,
    payload    jsonb       NOT NULL,
    result     jsonb,
    sqlstate   text,
    error      text,
    hint       text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.preview_request IS 'Mapping previews asked of tmidb-worker, and its answers';

-- On the PL/Java host, tmi.use_host('pljava') binds the Java itself instead.
CREATE FUNCTION tmi.mapping_preview(rule jsonb, payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    dblink_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'dblink');
    conn text := format('host=%s port=%s dbname=%s user=%s passfile=%s',
                        split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'),
                        current_database(), current_user, current_setting('data_directory') || '/tmidb.pgpass');
    id bigint;
    answer record;
    deadline timestamptz := clock_timestamp() + interval '10 seconds';
BEGIN
    PERFORM tmi.check_mapping_rule(rule);
    PERFORM tmi.require(payload, 'payload', 'Pass the document to preview as jsonb.');
    BEGIN
        EXECUTE format('SELECT id FROM %I.dblink($1, $2) AS t (id bigint, woken text)', dblink_schema)
           INTO id
          USING conn, format('WITH r AS (INSERT INTO tmi.preview_request (rule, payload) VALUES (%L, %L) RETURNING request_id)'
                             ' SELECT request_id, pg_notify(''tmi_work'', ''preview'')::text FROM r', rule, payload);
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR invalid_authorization_specification
                   OR connection_exception THEN
        RAISE EXCEPTION 'mapping_preview cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
            DETAIL = SQLERRM,
            HINT = 'Run "tmictl mapping preview" (the same code, outside the server), or SELECT tmi.use_host(''pljava'').';
    END;
    LOOP
        SELECT p.result, p.sqlstate, p.error, p.hint INTO answer FROM tmi.preview_request p
         WHERE p.request_id = id AND (p.result IS NOT NULL OR p.error IS NOT NULL);
        EXIT WHEN FOUND;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'tmidb-worker did not answer the preview within 10 seconds' USING ERRCODE = '57014',
                HINT = 'Check that tmidb-worker runs (tmictl status), or run "tmictl mapping preview".';
        END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
    IF answer.error IS NOT NULL THEN
        RAISE EXCEPTION '%', answer.error USING ERRCODE = coalesce(answer.sqlstate, 'XX000'),
            HINT = coalesce(answer.hint, 'See the worker''s log.');
    END IF;
    RETURN answer.result;
END
$fn$;
COMMENT ON FUNCTION tmi.mapping_preview(jsonb, jsonb) IS
    'What a document would become under a rule (targets, observations, positions, item errors), writing nothing; on the worker host tmidb-worker computes it';

-------------------------------------------------------------------------------
-- Suggested mappings: tmi.suggest_mapping asks tmidb-worker, on either host, to
-- propose a rule for a document or for a source's stored documents. The role
-- model runs in the worker's JVM, never inside the server. Nothing is written
-- but the request and its answer; a suggestion is applied by tmi.add_mapping.
-------------------------------------------------------------------------------
CREATE TABLE tmi.suggest_request (
    request_id bigserial   PRIMARY KEY,
    source     text,
    documents  jsonb       NOT NULL,
    result     jsonb,
    sqlstate   text,
    error      text,
    hint       text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.suggest_request IS 'Mapping suggestions asked of tmidb-worker (documents newest first), and its answers';

-- hands documents (a jsonb array, newest first) to the worker through a connection of its own,
-- committed at once so the worker sees them, and waits for the suggestion
CREATE FUNCTION tmi.suggest_from(source text, documents jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    dblink_schema name := (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                            WHERE e.extname = 'dblink');
    conn text := format('host=%s port=%s dbname=%s user=%s passfile=%s',
                        split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'),
                        current_database(), current_user, current_setting('data_directory') || '/tmidb.pgpass');
    id bigint;
    answer record;
    deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
    BEGIN
        EXECUTE format('SELECT id FROM %I.dblink($1, $2) AS t (id bigint, woken text)', dblink_schema)
           INTO id
          USING conn, format('WITH r AS (INSERT INTO tmi.suggest_request (source, documents) VALUES (%L, %L) RETURNING request_id)'
                             ' SELECT request_id, pg_notify(''tmi_work'', ''suggest'')::text FROM r', source, documents);
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR invalid_authorization_specification
                   OR connection_exception THEN
        RAISE EXCEPTION 'suggest_mapping cannot reach tmidb-worker from this server' USING ERRCODE = '0A000',
            DETAIL = SQLERRM,
            HINT = 'Run "tmictl mapping suggest" (the same code, outside the server).';
    END;
    LOOP
        SELECT r.result, r.sqlstate, r.error, r.hint INTO answer FROM tmi.suggest_request r
         WHERE r.request_id = id AND (r.result IS NOT NULL OR r.error IS NOT NULL);
        EXIT WHEN FOUND;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'tmidb-worker did not answer the suggestion within 30 seconds' USING ERRCODE = '57014',
                HINT = 'Check that tmidb-worker runs (tmictl status).';
        END IF;
        PERFORM pg_sleep(0.005);
    END LOOP;
    IF answer.error IS NOT NULL THEN
        RAISE EXCEPTION '%', answer.error USING ERRCODE = coalesce(answer.sqlstate, 'XX000'),
            HINT = coalesce(answer.hint, 'See the worker''s log.');
    END IF;
    RETURN answer.result;
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_from(text, jsonb) IS
    'Asks tmidb-worker for a mapping suggestion for documents (a jsonb array, newest first) of a source (may be NULL)';

CREATE FUNCTION tmi.suggest_mapping(document jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(document, 'document', 'Pass the document to suggest a mapping for as jsonb.');
    RETURN tmi.suggest_from(NULL, jsonb_build_array(document));
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_mapping(jsonb) IS
    'A proposed mapping rule for a document, with the confidence and reason of each element; writes nothing';

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
    -- the newest few documents: two or more tell attributes (stable) from observations (changing)
    SELECT jsonb_agg(payload ORDER BY raw_id DESC) INTO docs
      FROM (SELECT r.raw_id, r.payload FROM tmi.raw_bucket r WHERE r.source = suggest_mapping.source
             ORDER BY r.raw_id DESC LIMIT 3) newest;
    IF docs IS NULL THEN
        RAISE EXCEPTION 'no document stored for source "%"', source USING ERRCODE = '42704',
            HINT = 'Let the connector fetch once (or tmi.ingest a document) first; to suggest from a document, pass it as jsonb: tmi.suggest_mapping(''{...}''::jsonb).';
    END IF;
    RETURN tmi.suggest_from(source, docs);
END
$fn$;
COMMENT ON FUNCTION tmi.suggest_mapping(text) IS
    'A proposed mapping rule for the newest documents stored for a source (connector or ingest label); writes nothing';
