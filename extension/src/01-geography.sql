-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Geography. earthdistance's ll_to_earth has a text body that is parsed with
-- the caller's search_path, even when inlined into an index expression, and
-- pg_restore empties search_path: an index on it cannot be rebuilt from a
-- dump. This is the same formula with an SQL-standard body, bound to cube's
-- functions at creation, so the GiST index below restores anywhere.
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.ll_to_earth(lat double precision, lon double precision)
RETURNS earth
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT cube(cube(cube(earth() * cos(radians(lat)) * cos(radians(lon))),
                     earth() * cos(radians(lat)) * sin(radians(lon))),
                earth() * sin(radians(lat)))::earth;
END;
COMMENT ON FUNCTION tmi.ll_to_earth(double precision, double precision) IS
    'earthdistance''s ll_to_earth bound at creation time, safe in index expressions that pg_restore rebuilds';

