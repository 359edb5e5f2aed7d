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
            IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pljava') THEN
                RAISE EXCEPTION 'PL/Java is not installed in this PostgreSQL' USING ERRCODE = '55000',
                    DETAIL = 'CREATE EXTENSION pljava finds no pljava.control in the server''s extension directory.',
                    HINT = 'Install PL/Java for this PostgreSQL (Debian: postgresql-15-pljava), start the node again'
                           ' (tmidbd writes pljava.libjvm_location), and call tmi.use_host(''pljava'') again; or keep the worker host.';
            END IF;
            IF coalesce(current_setting('pljava.libjvm_location', true), '') = '' THEN
                RAISE EXCEPTION 'PL/Java is installed but pljava.libjvm_location is not set' USING ERRCODE = '55000',
                    HINT = 'Start the node again: tmidbd writes the PL/Java settings of an installed PL/Java into tmi_db.conf;'
                           ' elsewhere, set pljava.libjvm_location to a Java 17 libjvm.so and reload.';
            END IF;
            CREATE EXTENSION pljava;
        END IF;
        url := coalesce(jar_url, 'file:' || (SELECT setting FROM pg_config WHERE name = 'SHAREDIR') || '/tmidb/tmidb-stored.jar');
        IF jar_url IS NULL AND pg_stat_file(substr(url, 6), true) IS NULL THEN
            RAISE EXCEPTION 'the stored logic''s jar is not installed' USING ERRCODE = '58P01',
                DETAIL = format('No file %s.', substr(url, 6)),
                HINT = 'tmidbd installs it with the extension files at start (tmidbd init or start, from a package or a'
                       ' build); or pass its URL: tmi.use_host(''pljava'', ''file:/path/tmidb-stored.jar'').';
        END IF;
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

