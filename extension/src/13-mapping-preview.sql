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

