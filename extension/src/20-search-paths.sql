-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- earthdistance's functions resolve their helpers through search_path, so
-- functions using them pin the schemas cube and earthdistance live in.
-------------------------------------------------------------------------------
DO $geo_path$
DECLARE
    schemas text := (SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(n.nspname), ', ')
                       FROM pg_catalog.pg_extension e
                       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                      WHERE e.extname IN ('cube', 'earthdistance'));
BEGIN
    EXECUTE pg_catalog.format(
        'ALTER FUNCTION tmi.near(double precision, double precision, double precision, text, timestamptz)'
        ' SET search_path = pg_catalog, %s', schemas);
END
$geo_path$;

