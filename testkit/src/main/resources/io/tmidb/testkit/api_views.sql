-- SPDX-License-Identifier: MIT
-- API views in the shape the schema-version generator emits, for tests: kind bike in two
-- versions (v2 adds in_service and tags), its observations, writes through v2 and two functions.
CREATE SCHEMA api_v1;
CREATE SCHEMA api_v2;

CREATE VIEW api_v1.bike WITH (security_invoker = true) AS
SELECT t.target_id, t.name, t.ext_key, t.created_at, t.updated_at,
       (m.meta ->> 'battery')::double precision AS battery,
       m.meta ->> 'model' AS model
  FROM tmi.target t
 CROSS JOIN LATERAL (SELECT tmi.visible_meta(t.target_id) AS meta OFFSET 0) m
 WHERE t.kind = 'bike';

CREATE VIEW api_v2.bike WITH (security_invoker = true) AS
SELECT t.target_id, t.name, t.ext_key, t.created_at, t.updated_at,
       (m.meta ->> 'battery')::double precision AS battery,
       m.meta ->> 'model' AS model,
       (m.meta ->> 'in_service')::boolean AS in_service,
       m.meta -> 'tags' AS tags
  FROM tmi.target t
 CROSS JOIN LATERAL (SELECT tmi.visible_meta(t.target_id) AS meta OFFSET 0) m
 WHERE t.kind = 'bike';

CREATE VIEW api_v1.bike_obs WITH (security_invoker = true) AS
SELECT o.obs_id, o.target_id, o.ts,
       (p.payload ->> 'battery')::double precision AS battery,
       (p.payload ->> 'speed_kmh')::double precision AS speed_kmh
  FROM tmi.ts_obs o
  JOIN tmi.target t ON t.target_id = o.target_id
 CROSS JOIN LATERAL (SELECT tmi.visible_payload(o.target_id, o.ts, o.obs_id) AS payload OFFSET 0) p
 WHERE t.kind = 'bike';

CREATE FUNCTION public.api_bike_write()
RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    attrs jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM tmi.target WHERE target_id = OLD.target_id;
        RETURN OLD;
    END IF;
    attrs := jsonb_strip_nulls(jsonb_build_object('battery', NEW.battery, 'model', NEW.model,
                                                  'in_service', NEW.in_service, 'tags', NEW.tags));
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tmi.target (name, kind, ext_key, meta) VALUES (NEW.name, 'bike', NEW.ext_key, attrs)
        RETURNING target_id, created_at, updated_at INTO NEW.target_id, NEW.created_at, NEW.updated_at;
    ELSE
        UPDATE tmi.target SET name = NEW.name, ext_key = NEW.ext_key, meta = meta || attrs, updated_at = now()
         WHERE target_id = OLD.target_id
        RETURNING updated_at INTO NEW.updated_at;
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER bike_write INSTEAD OF INSERT OR UPDATE OR DELETE ON api_v2.bike
    FOR EACH ROW EXECUTE FUNCTION public.api_bike_write();

CREATE FUNCTION api_v2.low_battery(threshold double precision)
RETURNS SETOF api_v2.bike
LANGUAGE sql STABLE
AS $fn$ SELECT * FROM api_v2.bike WHERE battery < threshold ORDER BY battery $fn$;

CREATE FUNCTION api_v1.add_numbers(a integer, b integer)
RETURNS integer
LANGUAGE sql IMMUTABLE
AS $fn$ SELECT a + b $fn$;

GRANT USAGE ON SCHEMA api_v1, api_v2 TO tmi_listener, tmi_speaker, tmi_anon;
GRANT SELECT ON ALL TABLES IN SCHEMA api_v1 TO tmi_listener;
GRANT SELECT ON ALL TABLES IN SCHEMA api_v2 TO tmi_listener;
GRANT INSERT, UPDATE, DELETE ON api_v2.bike TO tmi_speaker;
