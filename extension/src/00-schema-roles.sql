-- SPDX-License-Identifier: MIT
-- tmiDB 0.2: schema tmi, its tables, roles and the SQL front door (the full script; 0.1
-- databases take tmidb--0.1--0.2.sql).
\echo Use "CREATE EXTENSION tmidb CASCADE" to load this file. \quit

CREATE SCHEMA tmi;
COMMENT ON SCHEMA tmi IS 'tmiDB: everything known about targets';

-------------------------------------------------------------------------------
-- Roles (cluster-wide, so they are created only when missing and survive
-- DROP EXTENSION; other databases of the cluster may use them). tmi_preview is
-- the role tmi.mapping_preview connects back as (see the mapping previews);
-- tmi_worker holds what tmidb-worker needs (see "The worker's role").
-------------------------------------------------------------------------------
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['tmi_admin', 'tmi_speaker', 'tmi_listener', 'tmi_anon', 'tmi_preview', 'tmi_worker'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    GRANT tmi_speaker TO tmi_admin;
    GRANT tmi_listener TO tmi_speaker;
END
$roles$;

