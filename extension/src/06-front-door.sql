-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- The SQL front door
-------------------------------------------------------------------------------
CREATE FUNCTION tmi.add_target(name text, kind text DEFAULT 'thing', meta jsonb DEFAULT '{}', ext_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id uuid;
BEGIN
    PERFORM tmi.require(name, 'name', 'Give the target a human-readable name.');
    PERFORM tmi.require(kind, 'kind', 'Pass a kind such as ''bike'' or ''sensor''.');
    PERFORM tmi.require_object(meta, 'meta');
    IF name = '' THEN
        RAISE EXCEPTION 'name must not be empty' USING ERRCODE = '22023',
            HINT = 'Give the target a human-readable name.';
    END IF;
    IF kind !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid kind "%"', kind USING ERRCODE = '22023',
            DETAIL = 'A kind names API views, so it must be a lower-case SQL identifier.',
            HINT = 'Use lower-case letters, digits and underscores, starting with a letter, e.g. ''air_sensor''.';
    END IF;
    IF ext_key = '' THEN
        RAISE EXCEPTION 'ext_key must not be empty' USING ERRCODE = '22023',
            HINT = 'Pass NULL when the source has no identifier for this target.';
    END IF;
    INSERT INTO tmi.target AS t (name, kind, meta, ext_key)
    VALUES (add_target.name, add_target.kind, add_target.meta, add_target.ext_key)
    ON CONFLICT (kind, ext_key) DO UPDATE
        SET name = EXCLUDED.name, meta = t.meta || EXCLUDED.meta, updated_at = now()
    RETURNING t.target_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_target(text, text, jsonb, text) IS
    'Creates a target, or updates the one with the same (kind, ext_key): new name, meta merged. Returns its id.';

CREATE FUNCTION tmi.target_id(kind text, ext_key text)
RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id uuid;
BEGIN
    SELECT t.target_id INTO id FROM tmi.target t WHERE t.kind = target_id.kind AND t.ext_key = target_id.ext_key;
    IF id IS NULL THEN
        RAISE EXCEPTION 'target %/% does not exist', kind, ext_key USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target(name, kind, meta, ext_key).';
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.target_id(text, text) IS 'The id of the target with this kind and external key';

CREATE FUNCTION tmi.observe(target uuid, ts timestamptz, payload jsonb,
                            lat double precision DEFAULT NULL, lon double precision DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass a target id, e.g. tmi.target_id(kind, ext_key).');
    PERFORM tmi.require(ts, 'ts', 'Pass the time of the observation, e.g. now().');
    PERFORM tmi.require_object(payload, 'payload');
    IF (lat IS NULL) <> (lon IS NULL) THEN
        RAISE EXCEPTION 'lat and lon must be given together' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('lat = %s, lon = %s', coalesce(lat::text, 'NULL'), coalesce(lon::text, 'NULL')),
            HINT = 'Pass both coordinates, or neither when the observation has no position.';
    END IF;
    IF lat NOT BETWEEN -90 AND 90 OR lon NOT BETWEEN -180 AND 180 THEN
        RAISE EXCEPTION 'position out of range' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('lat = %s, lon = %s', lat, lon),
            HINT = 'lat lies in [-90, 90] and lon in [-180, 180], in decimal degrees (WGS 84).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = observe.target) THEN
        RAISE EXCEPTION 'target % does not exist', target USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target(name, kind, meta, ext_key).';
    END IF;
    INSERT INTO tmi.ts_obs (target_id, ts, payload) VALUES (observe.target, observe.ts, observe.payload)
    RETURNING obs_id INTO id;
    IF id IS NULL THEN  -- the reading was stored before (tmi.obs_once)
        SELECT o.obs_id INTO id FROM tmi.ts_obs o WHERE o.target_id = observe.target AND o.ts = observe.ts;
    END IF;
    IF observe.lat IS NOT NULL THEN
        INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
        VALUES (observe.target, observe.ts, observe.lat, observe.lon);
    END IF;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.observe(uuid, timestamptz, jsonb, double precision, double precision) IS
    'Records an observation of a target (and its position when lat/lon are given), once per target and time: '
    'a repeat changes nothing, different values correct the stored reading. Returns the obs_id.';

-- search_path is completed at the end of this script with the schema of earthdistance.
-- Candidates come from the point index on geo_trace, inside boxes of (lon, lat) degrees that hold
-- every point within the radius; each is then measured exactly: the great-circle distance on
-- earthdistance's sphere (earth()), as earth_distance gives it, by the haversine formula in built-in
-- arithmetic (earth_distance's own SQL functions are not inlined and cost far more per row).
CREATE FUNCTION tmi.near(lat double precision, lon double precision, radius_m double precision,
                         kind text DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS TABLE (target_id uuid, name text, target_kind text, target_lat double precision,
               target_lon double precision, seen_at timestamptz, distance_m double precision)
LANGUAGE plpgsql STABLE
AS $fn$
#variable_conflict use_column
DECLARE
    -- each side of a box is widened by a nanodegree (under a millimetre), so that rounding never
    -- keeps out a point on the circle
    slack constant double precision := 1e-9;
    r constant double precision := earth();
    angle double precision;  -- the radius in radians of earthdistance's sphere
    south double precision;
    north double precision;
    span double precision;
    first box;
    second box;  -- only when the circle crosses the antimeridian
BEGIN
    PERFORM tmi.require(near.lat, 'lat', 'Pass the latitude of the centre in decimal degrees.');
    PERFORM tmi.require(near.lon, 'lon', 'Pass the longitude of the centre in decimal degrees.');
    PERFORM tmi.require(radius_m, 'radius_m', 'Pass the radius in metres.');
    IF near.lat NOT BETWEEN -90 AND 90 OR near.lon NOT BETWEEN -180 AND 180 THEN
        RAISE EXCEPTION 'centre out of range' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('lat = %s, lon = %s', near.lat, near.lon),
            HINT = 'lat lies in [-90, 90] and lon in [-180, 180], in decimal degrees (WGS 84).';
    END IF;
    IF radius_m <= 0 OR radius_m = 'Infinity' THEN
        RAISE EXCEPTION 'radius_m must be a positive number of metres' USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('radius_m = %s', radius_m),
            HINT = 'Pass e.g. 500 for half a kilometre.';
    END IF;
    angle := radius_m / r;
    south := near.lat - degrees(angle) - slack;
    north := near.lat + degrees(angle) + slack;
    IF south <= -90 OR north >= 90 THEN
        -- a circle around a pole spans every longitude
        first := box(point(-180, greatest(south, -90)), point(180, least(north, 90)));
    ELSE
        -- the longitudes a spherical cap spans
        span := degrees(asin(least(sin(angle) / cos(radians(near.lat)), 1))) + slack;
        first := box(point(greatest(near.lon - span, -180), south), point(least(near.lon + span, 180), north));
        IF near.lon - span < -180 THEN
            second := box(point(near.lon - span + 360, south), point(180, north));
        ELSIF near.lon + span > 180 THEN
            second := box(point(-180, south), point(near.lon + span - 360, north));
        END IF;
    END IF;
    RETURN QUERY
    SELECT g.target_id, t.name, t.kind, g.lat, g.lon, g.ts, d.distance_m
      FROM tmi.geo_trace g
      JOIN tmi.target t ON t.target_id = g.target_id
     CROSS JOIN LATERAL (SELECT 2 * r * asin(least(1, sqrt(sin(radians(g.lat - near.lat) / 2) ^ 2
                + cos(radians(near.lat)) * cos(radians(g.lat)) * sin(radians(g.lon - near.lon) / 2) ^ 2))) AS distance_m) d
     WHERE (point(g.lon, g.lat) <@ first OR point(g.lon, g.lat) <@ second)
       AND d.distance_m <= radius_m
       AND (near.kind IS NULL OR t.kind = near.kind)
       AND (since IS NULL OR g.ts >= since)
       -- the latest position of each target only
       AND NOT EXISTS (SELECT 1 FROM tmi.geo_trace n WHERE n.target_id = g.target_id AND n.ts > g.ts)
     ORDER BY d.distance_m, g.target_id;
END
$fn$;
COMMENT ON FUNCTION tmi.near(double precision, double precision, double precision, text, timestamptz) IS
    'Targets whose latest position lies within radius_m metres of (lat, lon), nearest first';

CREATE FUNCTION tmi.add_connector(name text, url text, every interval DEFAULT '1 minute',
                                  format text DEFAULT 'json', options jsonb DEFAULT '{}', mapping text DEFAULT 'manual')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(name, 'name', 'Name the connector; tmi.ingest() and mapping rules refer to it.');
    PERFORM tmi.check_connector(url, every, format, options);
    IF name !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' THEN
        RAISE EXCEPTION 'invalid connector name "%"', name USING ERRCODE = '22023',
            HINT = 'Use letters, digits, ''_'', ''.'', '':'' and ''-'', at most 128 characters.';
    END IF;
    PERFORM tmi.require(mapping, 'mapping', 'Pass manual, suggest or auto.');
    IF mapping NOT IN ('manual', 'suggest', 'auto') THEN
        RAISE EXCEPTION 'invalid mapping mode "%"', mapping USING ERRCODE = '22023',
            HINT = 'manual: you write the rule; suggest: tmiDB proposes one (tmi.connectors.suggestion); auto: it also applies a confident one.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.ingest_connector c WHERE c.name = add_connector.name) THEN
        RAISE EXCEPTION 'connector "%" already exists', name USING ERRCODE = '23505',
            HINT = 'Choose another name, or change it with tmi.set_connector().';
    END IF;
    INSERT INTO tmi.ingest_connector (name, url, every, format, options, mapping)
    VALUES (add_connector.name, add_connector.url, add_connector.every, add_connector.format, add_connector.options,
            add_connector.mapping)
    RETURNING connector_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_connector(text, text, interval, text, jsonb, text) IS
    'Registers a URL that tmiDB fetches every interval into raw_bucket; mapping => suggest or auto has tmiDB propose (and, for auto, apply when confident) its rule. Returns the connector id.';

CREATE FUNCTION tmi.max_payload_bytes()
RETURNS bigint
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT coalesce(nullif(pg_catalog.current_setting('tmi.max_payload_bytes', true), '')::bigint, 16777216);
END;
COMMENT ON FUNCTION tmi.max_payload_bytes() IS
    'Largest raw document tmi.ingest accepts: setting tmi.max_payload_bytes, default 16 MiB';

CREATE FUNCTION tmi.ingest(source text, payload jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id    bigint;
    size  bigint;
    limit_bytes bigint := tmi.max_payload_bytes();
BEGIN
    PERFORM tmi.require(source, 'source', 'Name where the document comes from: a connector name or a label.');
    PERFORM tmi.require(payload, 'payload', 'Pass the document as jsonb.');
    IF source = '' THEN
        RAISE EXCEPTION 'source must not be empty' USING ERRCODE = '22023',
            HINT = 'Name where the document comes from: a connector name or a label.';
    END IF;
    size := octet_length(payload::text);
    IF size > limit_bytes THEN
        RAISE EXCEPTION 'payload too large' USING ERRCODE = '54000',
            DETAIL = pg_catalog.format('The document has %s bytes; the limit is %s.', size, limit_bytes),
            HINT = 'Split the document, or raise the setting tmi.max_payload_bytes.';
    END IF;
    INSERT INTO tmi.raw_bucket (source, connector_id, payload)
    VALUES (source, (SELECT c.connector_id FROM tmi.ingest_connector c WHERE c.name = ingest.source), payload)
    RETURNING raw_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.ingest(text, jsonb) IS
    'Stores a raw document from a speaker in raw_bucket for the mapping rules. Returns its raw_id.';

-- as its owner: speakers and listeners may read the summary, not the tables behind it
CREATE FUNCTION tmi.status()
RETURNS TABLE (subsystem text, state text, detail text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    parked bigint;
    held bigint;
    held_since timestamptz;
    unnumbered bigint;
    holder record;
BEGIN
    RETURN QUERY SELECT 'extension', 'ok', 'tmidb ' || extversion FROM pg_extension WHERE extname = 'tmidb';

    IF tmi.storage_mode() = 'timescaledb' THEN
        RETURN QUERY SELECT 'storage', 'ok', 'ts_obs is a TimescaleDB hypertable';
    ELSE
        -- rows in the default partition are not pruned well until maintain_partitions() moves them
        EXECUTE 'SELECT count(*) FROM tmi.ts_obs_default' INTO parked;
        RETURN QUERY
        SELECT 'storage', CASE WHEN parked > 0 THEN 'attention' ELSE 'ok' END,
               format('ts_obs has %s native partitions; %s rows in the default partition%s',
                      count(*) - 1, parked,
                      CASE WHEN parked > 0 THEN ': SELECT tmi.maintain_partitions() moves them into partitions of'
                                                ' their own (tmidb-worker does so as they arrive)' ELSE '' END)
          FROM pg_inherits WHERE inhparent = 'tmi.ts_obs'::regclass;
    END IF;

    RETURN QUERY
    SELECT 'geo', 'ok', string_agg(extname || ' ' || extversion, ', ' ORDER BY extname)
      FROM pg_extension WHERE extname IN ('cube', 'earthdistance');

    RETURN QUERY
    SELECT 'raw_bucket', CASE WHEN count(*) FILTER (WHERE r.status = 'failed') > 0 THEN 'attention' ELSE 'ok' END,
           format('%s pending, %s failed', count(*) FILTER (WHERE r.status = 'pending'),
                  count(*) FILTER (WHERE r.status = 'failed'))
      FROM tmi.raw_bucket r WHERE r.status IN ('pending', 'failed');

    RETURN QUERY
    SELECT 'connectors', CASE WHEN count(*) FILTER (WHERE c.consecutive_failures > 0) > 0 THEN 'attention' ELSE 'ok' END,
           format('%s enabled, %s failing', count(*), count(*) FILTER (WHERE c.consecutive_failures > 0))
      FROM tmi.ingest_connector c WHERE c.enabled;

    -- committed events wait to be numbered while an older transaction runs (see tmi.sequence_events)
    SELECT count(*) FILTER (WHERE e.xid >= pg_snapshot_xmin(pg_current_snapshot())),
           min(e.ts) FILTER (WHERE e.xid >= pg_snapshot_xmin(pg_current_snapshot())), count(*)
      INTO held, held_since, unnumbered
      FROM tmi.event_log e WHERE e.event_id IS NULL;
    IF held = 0 THEN
        RETURN QUERY
        SELECT 'events', 'ok', format('%s numbered, %s to number', coalesce(max(e.event_id), 0), unnumbered)
          FROM tmi.event_log e;
    ELSE
        SELECT a.pid, a.datname, a.application_name, a.state, a.xact_start INTO holder
          FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL
         ORDER BY age(a.backend_xid) DESC LIMIT 1;
        RETURN QUERY
        SELECT 'events', CASE WHEN coalesce(holder.xact_start, held_since) < now() - interval '60 seconds'
                              THEN 'attention' ELSE 'ok' END,
               format('%s committed events wait for an older transaction to end: %s', held,
                      CASE WHEN holder.pid IS NULL
                           THEN 'a prepared one or one this role may not see (pg_stat_activity)'
                           ELSE format('pid %s in database %s (%s), %s for %s s', holder.pid, holder.datname,
                                       coalesce(nullif(holder.application_name, ''), 'no application_name'), holder.state,
                                       round(extract(epoch FROM now() - holder.xact_start)::numeric, 1)) END);
    END IF;

    RETURN QUERY
    SELECT 'relay', CASE WHEN sum(c.forged_messages) > 0 THEN 'alarm'
                         WHEN max(r.seconds_behind) > 60 THEN 'attention' ELSE 'ok' END,
           CASE WHEN count(*) = 0 THEN 'no relay has run (tmidb-worker relays events to NATS JetStream)'
                ELSE string_agg(format('%s: %s events, %s s behind', r.name, r.events_behind,
                                       round(r.seconds_behind::numeric, 1))
                                || CASE WHEN c.forged_messages > 0
                                        THEN format(', %s forged messages in its stream, the last in place of event %s'
                                                    ' at %s (%s): let only the relay''s NATS user publish',
                                                    c.forged_messages, c.last_forged_event_id, c.last_forged_at,
                                                    c.last_forged_detail)
                                        ELSE '' END, '; ' ORDER BY r.name) END
      FROM tmi.relay_status() r JOIN tmi.relay_cursor c ON c.name = r.name;

    RETURN QUERY
    SELECT 'retention', 'ok',
           CASE WHEN count(*) = 0 THEN 'no retention set: everything is kept'
                ELSE string_agg(format('%s %s', CASE r.kind WHEN '*' THEN 'default' ELSE r.kind END, r.keep), ', '
                                ORDER BY r.kind = '*', r.kind) END
           || coalesce((SELECT format('; last applied %s: %s partitions dropped, %s observations and %s positions deleted',
                                      a.applied_at, a.partitions_dropped, a.observations, a.positions)
                          FROM tmi.retention_applied a), '')
      FROM tmi.retention r;

    RETURN QUERY SELECT * FROM tmi.file_status();
END
$fn$;
COMMENT ON FUNCTION tmi.status() IS 'One row per tmiDB subsystem with its state';

