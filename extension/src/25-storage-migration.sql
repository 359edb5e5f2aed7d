-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Storage migration: ts_obs from native partitions to a TimescaleDB hypertable
-- and back, with its rows, key and indexes, triggers, row-level security,
-- grants, and the views that read it (the api_vN views). tmictl storage
-- migrate runs the three steps in one transaction: begin (checks, holds off
-- writers, makes the new table in the other shape), copy (one partition or
-- chunk at a time, so that it can show progress), finish (the new table takes
-- the old one's place, with everything that hung on it). The rows are copied
-- while the new table has no trigger: a migration makes no events and merges
-- nothing. Anything it cannot carry over stops it, and nothing has changed.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.storage_migration_begin(target text)
RETURNS TABLE (source regclass, estimated_rows bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_variable
DECLARE
    mode text := tmi.storage_mode();
    other text;
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass ''hypertable'' or ''partitions''.');
    IF target NOT IN ('hypertable', 'partitions') THEN
        RAISE EXCEPTION 'unknown storage "%"', target USING ERRCODE = '22023',
            HINT = 'Pass ''hypertable'' (TimescaleDB) or ''partitions'' (native PostgreSQL partitions).';
    END IF;
    IF (target = 'hypertable') = (mode = 'timescaledb') THEN
        RAISE EXCEPTION 'ts_obs is already %', CASE mode WHEN 'timescaledb' THEN 'a TimescaleDB hypertable'
                                                    ELSE 'natively partitioned' END
            USING ERRCODE = '55000', DETAIL = format('tmi.storage_mode() is %s', mode),
                  HINT = 'Nothing to migrate; tmi.status() shows how ts_obs is stored.';
    END IF;
    IF target = 'hypertable' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
            RAISE EXCEPTION 'TimescaleDB is not installed in this PostgreSQL' USING ERRCODE = '55000',
                HINT = 'Install TimescaleDB for this PostgreSQL, restart the node (tmidbd adds it to'
                       ' shared_preload_libraries at start), then migrate.';
        END IF;
        IF NOT 'timescaledb' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) THEN
            RAISE EXCEPTION 'TimescaleDB is installed but the server has not loaded it' USING ERRCODE = '55000',
                DETAIL = format('shared_preload_libraries is ''%s''', current_setting('shared_preload_libraries')),
                HINT = 'Restart the node (tmidbd stop, tmidbd start): tmidbd adds timescaledb to shared_preload_libraries'
                       ' at start; tmictl status says when a restart is due.';
        END IF;
        CREATE EXTENSION IF NOT EXISTS timescaledb;
    END IF;
    -- what depends on ts_obs beyond its own parts and the views on it would be lost
    SELECT string_agg(pg_describe_object(d.classid, d.objid, d.objsubid), ', ') INTO other
      FROM pg_depend d
     WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = 'tmi.ts_obs'::regclass AND d.deptype = 'n'
       AND (d.classid = 'pg_proc'::regclass
            OR (d.classid = 'pg_constraint'::regclass
                AND (SELECT conrelid FROM pg_constraint WHERE oid = d.objid) <> 'tmi.ts_obs'::regclass)
            OR (d.classid = 'pg_policy'::regclass
                AND (SELECT polrelid FROM pg_policy WHERE oid = d.objid) <> 'tmi.ts_obs'::regclass)
            OR (d.classid = 'pg_trigger'::regclass
                AND (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid) <> 'tmi.ts_obs'::regclass));
    IF other IS NOT NULL THEN
        RAISE EXCEPTION 'objects outside ts_obs depend on it: %', other USING ERRCODE = '55000',
            HINT = 'Drop them, migrate, and create them again: the migration replaces ts_obs and moves only its'
                   ' own indexes, triggers, policies, grants and the views on it.';
    END IF;
    -- readers go on while rows are copied; writers wait until the migration commits
    LOCK TABLE tmi.ts_obs IN EXCLUSIVE MODE;
    IF target = 'hypertable' THEN
        CREATE TABLE tmi.ts_obs_migrating (LIKE tmi.ts_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
                                           INCLUDING COMMENTS);
        PERFORM tmi.make_hypertable('tmi.ts_obs_migrating');
    ELSE
        CREATE TABLE tmi.ts_obs_migrating (LIKE tmi.ts_obs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
                                           INCLUDING COMMENTS) PARTITION BY RANGE (ts);
        -- the rows land here; tmi.maintain_partitions() gives each week its partition at the end
        PERFORM tmi.add_default_partition('tmi.ts_obs_migrating');
    END IF;
    RETURN QUERY
        SELECT i.inhrelid::regclass, greatest(c.reltuples, 0)::bigint
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'tmi.ts_obs'::regclass
         ORDER BY c.relname;
END
$fn$;
COMMENT ON FUNCTION tmi.storage_migration_begin(text) IS
    'Step 1 of tmictl storage migrate: checks, holds off writers of ts_obs, makes tmi.ts_obs_migrating in the other shape';

CREATE FUNCTION tmi.storage_migration_copy(source regclass)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    cols text;
    copied bigint;
BEGIN
    IF to_regclass('tmi.ts_obs_migrating') IS NULL THEN
        RAISE EXCEPTION 'no storage migration is under way in this transaction' USING ERRCODE = '55000',
            HINT = 'Call tmi.storage_migration_begin first, in the same transaction (tmictl storage migrate does).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = source AND inhparent = 'tmi.ts_obs'::regclass) THEN
        RAISE EXCEPTION '% is no partition or chunk of tmi.ts_obs', source USING ERRCODE = '22023',
            HINT = 'Pass one of the relations tmi.storage_migration_begin returned.';
    END IF;
    -- by name: a partition's columns may be in another order than its parent's
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute WHERE attrelid = 'tmi.ts_obs_migrating'::regclass AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('INSERT INTO tmi.ts_obs_migrating (%s) SELECT %s FROM ONLY %s', cols, cols, source);
    GET DIAGNOSTICS copied = ROW_COUNT;
    RETURN copied;
END
$fn$;
COMMENT ON FUNCTION tmi.storage_migration_copy(regclass) IS
    'Step 2 of tmictl storage migrate: copies the rows of one partition or chunk of ts_obs into tmi.ts_obs_migrating';

-- The statements that give a relation back its owner, comment, grants (in their order, so the ACL
-- reads as before) and triggers; pg_get_triggerdef names the relation, which keeps its name.
CREATE FUNCTION tmi.relation_extras(rel regclass, noun text)
RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT array_cat(array_cat(
        ARRAY[format('ALTER %s %s OWNER TO %I', noun, rel, pg_get_userbyid(c.relowner)),
              format('COMMENT ON %s %s IS %L', noun, rel, obj_description(rel, 'pg_class'))],
        coalesce((SELECT array_agg(format('GRANT %s%s ON %s TO %s%s', g.privileges, g.cols, rel, g.grantee, g.option)
                                   ORDER BY g.attnum, g.first)
                    FROM (SELECT a.attnum, min(a.n) AS first,
                                 string_agg(a.privilege_type, ', ' ORDER BY a.n) AS privileges,
                                 CASE WHEN a.attnum = 0 THEN '' ELSE format(' (%I)', a.attname) END AS cols,
                                 CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
                                 CASE WHEN bool_or(a.is_grantable) THEN ' WITH GRANT OPTION' ELSE '' END AS option
                            FROM (SELECT 0 AS attnum, NULL::name AS attname, x.*
                                    FROM aclexplode(c.relacl) WITH ORDINALITY x (grantor, grantee, privilege_type, is_grantable, n)
                                  UNION ALL
                                  SELECT at.attnum, at.attname, x.*
                                    FROM pg_attribute at,
                                         aclexplode(at.attacl) WITH ORDINALITY x (grantor, grantee, privilege_type, is_grantable, n)
                                   WHERE at.attrelid = rel AND at.attnum > 0 AND NOT at.attisdropped) a
                           WHERE a.grantee <> c.relowner
                           GROUP BY a.attnum, a.attname, a.grantee) g), '{}')),
        coalesce((SELECT array_agg(pg_get_triggerdef(t.oid) ORDER BY t.tgname)
                    FROM pg_trigger t WHERE t.tgrelid = rel AND NOT t.tgisinternal), '{}'))
      FROM pg_class c WHERE c.oid = rel;
END;
COMMENT ON FUNCTION tmi.relation_extras(regclass, text) IS
    'Statements giving a relation (noun: TABLE, VIEW, MATERIALIZED VIEW) back its owner, comment, grants and triggers';

CREATE FUNCTION tmi.storage_migration_finish()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    old_rows bigint;
    new_rows bigint;
    restore text[];
    views text[];
    drops text[];
    stmt text;
    native boolean;
BEGIN
    IF to_regclass('tmi.ts_obs_migrating') IS NULL THEN
        RAISE EXCEPTION 'no storage migration is under way in this transaction' USING ERRCODE = '55000',
            HINT = 'Call tmi.storage_migration_begin first, in the same transaction (tmictl storage migrate does).';
    END IF;
    old_rows := (SELECT count(*) FROM tmi.ts_obs);
    new_rows := (SELECT count(*) FROM tmi.ts_obs_migrating);
    IF old_rows <> new_rows THEN
        RAISE EXCEPTION 'the new ts_obs holds % rows, the old one %', new_rows, old_rows USING ERRCODE = 'XX000',
            HINT = 'Copy every relation tmi.storage_migration_begin returned before finishing; nothing has changed.';
    END IF;
    native := (SELECT relkind = 'p' FROM pg_class WHERE oid = 'tmi.ts_obs_migrating'::regclass);

    -- what hangs on the old table: foreign keys, row-level security and its policies, owner, grants, triggers
    SELECT array_agg(format('ALTER TABLE tmi.ts_obs ADD CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) ORDER BY conname)
      INTO restore FROM pg_constraint WHERE conrelid = 'tmi.ts_obs'::regclass AND contype = 'f';
    restore := coalesce(restore, '{}')
        || (SELECT ARRAY[CASE WHEN relrowsecurity THEN 'ALTER TABLE tmi.ts_obs ENABLE ROW LEVEL SECURITY' ELSE 'SELECT NULL' END,
                         CASE WHEN relforcerowsecurity THEN 'ALTER TABLE tmi.ts_obs FORCE ROW LEVEL SECURITY' ELSE 'SELECT NULL' END]
              FROM pg_class WHERE oid = 'tmi.ts_obs'::regclass)
        || coalesce((SELECT array_agg(format('CREATE POLICY %I ON tmi.ts_obs AS %s FOR %s TO %s%s%s', p.polname,
                                             CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                                             CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                                           WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                                             (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ')
                                                FROM unnest(p.polroles) r),
                                             coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', ''),
                                             coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', ''))
                                      ORDER BY p.polname)
                       FROM pg_policy p WHERE p.polrelid = 'tmi.ts_obs'::regclass), '{}')
        || tmi.relation_extras('tmi.ts_obs', 'TABLE');

    -- the views on it, and the views on those, recreated in the order they can be
    WITH RECURSIVE on_it (rel, depth) AS (
        SELECT r.ev_class, 1
          FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
           AND d.refobjid = 'tmi.ts_obs'::regclass AND r.ev_class <> 'tmi.ts_obs'::regclass
        UNION
        SELECT r.ev_class, o.depth + 1
          FROM on_it o JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = o.rel
          JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
         WHERE r.ev_class <> o.rel
    ), ordered AS (
        SELECT v.rel::regclass AS rel, max(v.depth) AS depth, c.relkind, c.reloptions,
               CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END AS noun,
               EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = v.rel
                          AND e.refclassid = 'pg_extension'::regclass AND e.deptype = 'e') AS member
          FROM on_it v JOIN pg_class c ON c.oid = v.rel
         GROUP BY v.rel, c.relkind, c.reloptions
    )
    SELECT array_agg(v.stmt ORDER BY v.depth, v.rel::oid, v.n),
           (SELECT array_agg(format('DROP %s %s', o.noun, o.rel) ORDER BY o.depth DESC, o.rel::oid DESC) FROM ordered o)
      INTO views, drops
      FROM (SELECT o.depth, o.rel, s.n, s.stmt
              FROM ordered o,
                   unnest(ARRAY[format('CREATE %s %s%s AS %s', o.noun, o.rel,
                                       coalesce(' WITH (' || array_to_string(o.reloptions, ', ') || ')', ''),
                                       rtrim(pg_get_viewdef(o.rel), ';'))]
                          || tmi.relation_extras(o.rel, o.noun)
                          || CASE WHEN o.member THEN ARRAY[format('ALTER EXTENSION tmidb ADD %s %s', o.noun, o.rel)]
                                  ELSE '{}'::text[] END) WITH ORDINALITY s (stmt, n)) v;
    FOREACH stmt IN ARRAY coalesce(drops, '{}') LOOP
        EXECUTE stmt;
    END LOOP;

    -- the old table goes (its partitions or chunks with it); the sequence of obs_id stays
    ALTER SEQUENCE tmi.ts_obs_obs_id_seq OWNED BY NONE;
    IF to_regclass('tmi.ts_obs_default') IS NOT NULL AND NOT native THEN
        ALTER EXTENSION tmidb DROP TABLE tmi.ts_obs_default;
    END IF;
    ALTER EXTENSION tmidb DROP TABLE tmi.ts_obs;
    DROP TABLE tmi.ts_obs;
    ALTER TABLE tmi.ts_obs_migrating RENAME TO ts_obs;
    ALTER SEQUENCE tmi.ts_obs_obs_id_seq OWNED BY tmi.ts_obs.obs_id;
    IF native THEN
        PERFORM tmi.maintain_partitions();
    ELSE
        PERFORM tmi.index_ts_obs('tmi.ts_obs');
    END IF;
    FOREACH stmt IN ARRAY restore LOOP
        EXECUTE stmt;
    END LOOP;
    -- members of the extension as CREATE EXTENSION makes them, so that pg_dump and restore treat them alike
    ALTER EXTENSION tmidb ADD TABLE tmi.ts_obs;
    IF native THEN
        -- as tmidb's privileges give every table of the extension to tmi_admin (22-privileges.sql)
        GRANT ALL ON tmi.ts_obs_default TO tmi_admin;
        ALTER EXTENSION tmidb ADD TABLE tmi.ts_obs_default;
        -- pg_extension_config_dump works only inside CREATE EXTENSION: its rows are dumped as it would mark them
        UPDATE pg_extension SET extconfig = extconfig || 'tmi.ts_obs_default'::regclass::oid,
                                extcondition = extcondition || ''::text
         WHERE extname = 'tmidb';
    END IF;
    FOREACH stmt IN ARRAY coalesce(views, '{}') LOOP
        EXECUTE stmt;
    END LOOP;
    RETURN format('ts_obs is %s: %s rows, %s %s, %s views recreated',
                  CASE WHEN native THEN 'natively partitioned' ELSE 'a TimescaleDB hypertable' END, new_rows,
                  (SELECT count(*) FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass),
                  CASE WHEN native THEN 'partitions' ELSE 'chunks' END, coalesce(array_length(drops, 1), 0));
END
$fn$;
COMMENT ON FUNCTION tmi.storage_migration_finish() IS
    'Step 3 of tmictl storage migrate: tmi.ts_obs_migrating replaces ts_obs, with its constraints, policies, grants, triggers and views';

REVOKE ALL ON FUNCTION tmi.storage_migration_begin(text), tmi.storage_migration_copy(regclass),
    tmi.relation_extras(regclass, text), tmi.storage_migration_finish() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.storage_migration_begin(text), tmi.storage_migration_copy(regclass),
    tmi.relation_extras(regclass, text), tmi.storage_migration_finish() TO tmi_admin;
