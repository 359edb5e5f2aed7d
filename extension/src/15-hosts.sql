-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Switching hosts. PL/Java finds classes through sqlj; the functions it binds
-- take id lists as text ('{1,2,3}') so both hosts share the same SQL.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.use_host(host text, jar_url text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    url text;
BEGIN
    PERFORM tmi.require(host, 'host', 'Pass ''worker'' or ''pljava''.');
    IF host NOT IN ('worker', 'pljava') THEN
        RAISE EXCEPTION 'unknown host "%"', host USING ERRCODE = '22023', HINT = 'Pass ''worker'' or ''pljava''.';
    END IF;
    IF host = 'pljava' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pljava') THEN
            RAISE EXCEPTION 'the pljava extension is not installed in this database' USING ERRCODE = '55000',
                HINT = 'Install PL/Java, set pljava.libjvm_location, and run CREATE EXTENSION pljava; or keep the worker host.';
        END IF;
        url := coalesce(jar_url, 'file:' || (SELECT setting FROM pg_config WHERE name = 'SHAREDIR') || '/tmidb/tmidb-stored.jar');
        IF EXISTS (SELECT 1 FROM sqlj.jar_repository WHERE jarname = 'tmidb_stored') THEN
            PERFORM sqlj.replace_jar(url, 'tmidb_stored', false);
        ELSE
            PERFORM sqlj.install_jar(url, 'tmidb_stored', false);
        END IF;
        PERFORM sqlj.set_classpath('tmi', 'tmidb_stored');
        CREATE OR REPLACE FUNCTION tmi.j_process_raw(ids text) RETURNS void
            LANGUAGE javau SECURITY DEFINER AS 'io.tmidb.stored.PlJavaEntry.processRaw(java.lang.String)';
        CREATE OR REPLACE FUNCTION tmi.j_apply_schema(ids text) RETURNS void
            LANGUAGE javau SECURITY DEFINER AS 'io.tmidb.stored.PlJavaEntry.applySchema(java.lang.String)';
        CREATE OR REPLACE FUNCTION tmi.j_evaluate_alarms(ids text) RETURNS void
            LANGUAGE javau SECURITY DEFINER AS 'io.tmidb.stored.PlJavaEntry.evaluateAlarms(java.lang.String)';
        CREATE OR REPLACE FUNCTION tmi.mapping_preview(rule jsonb, payload jsonb) RETURNS jsonb
            LANGUAGE javau AS 'io.tmidb.stored.PlJavaEntry.preview(java.lang.String, java.lang.String)';
        -- members of the extension: pg_dump leaves them out, so a dump restores where PL/Java is absent
        IF NOT EXISTS (SELECT 1 FROM pg_depend WHERE objid = 'tmi.j_process_raw(text)'::regprocedure AND deptype = 'e') THEN
            ALTER EXTENSION tmidb ADD FUNCTION tmi.j_process_raw(text);
            ALTER EXTENSION tmidb ADD FUNCTION tmi.j_apply_schema(text);
            ALTER EXTENSION tmidb ADD FUNCTION tmi.j_evaluate_alarms(text);
        END IF;
    END IF;
    UPDATE tmi.config SET value = host WHERE key = 'host';
    RETURN host;
END
$fn$;
COMMENT ON FUNCTION tmi.use_host(text, text) IS
    'Runs the stored logic in tmidb-worker (worker) or inside the server through PL/Java (pljava, installing the jar)';

