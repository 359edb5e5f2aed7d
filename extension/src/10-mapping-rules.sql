-- SPDX-License-Identifier: MIT
CREATE FUNCTION tmi.check_path(path text, what text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF path IS NULL OR path = '' THEN
        RAISE EXCEPTION 'mapping rule: % must be a JSON path', what USING ERRCODE = '22023',
            HINT = 'Write an SQL/JSON path relative to the item, e.g. "$.station_id".';
    END IF;
    PERFORM path::jsonpath;
EXCEPTION WHEN syntax_error OR invalid_text_representation THEN
    RAISE EXCEPTION 'mapping rule: % is not a valid JSON path', what USING ERRCODE = '22023',
        DETAIL = format('%s = %s: %s', what, path, SQLERRM),
        HINT = 'Write an SQL/JSON path such as "$.data.stations[*]" or "$.geometry.coordinates[1]".';
END
$fn$;
COMMENT ON FUNCTION tmi.check_path(text, text) IS 'Raises 22023 unless path is a valid SQL/JSON path';

CREATE FUNCTION tmi.check_mapping_rule(rule jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
DECLARE
    k text;
    f record;
    t record;
    ts_format text;
    run text;
    letters text;
BEGIN
    PERFORM tmi.require_object(rule, 'rule');
    FOR k IN SELECT jsonb_object_keys(rule) LOOP
        IF k NOT IN ('iterate', 'kind', 'key', 'name', 'timestamp', 'lat', 'lon', 'position', 'fields') THEN
            RAISE EXCEPTION 'mapping rule: unknown key "%"', k USING ERRCODE = '22023',
                HINT = 'A rule has iterate, kind, key, name, timestamp, lat, lon, position and fields.';
        END IF;
    END LOOP;
    IF coalesce(rule->>'kind', '') !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'mapping rule: kind must be a lower-case identifier' USING ERRCODE = '22023',
            DETAIL = format('kind = %s', coalesce(rule->'kind', 'null')),
            HINT = 'Name the kind of target the items describe, e.g. "bike_station".';
    END IF;
    PERFORM tmi.check_path(rule->>'key', 'key');
    FOREACH k IN ARRAY ARRAY['iterate', 'name', 'lat', 'lon'] LOOP
        IF rule ? k THEN
            PERFORM tmi.check_path(rule->>k, k);
        END IF;
    END LOOP;
    IF (rule ? 'lat') <> (rule ? 'lon') THEN
        RAISE EXCEPTION 'mapping rule: lat and lon go together' USING ERRCODE = '22023',
            HINT = 'Give both paths, or neither when the items carry no position.';
    END IF;
    IF rule ? 'position' THEN
        IF jsonb_typeof(rule->'position') <> 'object' OR rule ? 'lat'
                OR (SELECT array_agg(pk) FROM jsonb_object_keys(rule->'position') AS pk) IS DISTINCT FROM '{geojson}' THEN
            RAISE EXCEPTION 'mapping rule: position is {"geojson": PATH}, instead of lat and lon' USING ERRCODE = '22023',
                DETAIL = format('position = %s', rule->'position'),
                HINT = 'Name the GeoJSON geometry, e.g. {"geojson": "$.geometry"}; it must be a Point [lon, lat, alt?].';
        END IF;
        PERFORM tmi.check_path(rule->'position'->>'geojson', 'position.geojson');
    END IF;
    IF rule ? 'timestamp' THEN
        IF jsonb_typeof(rule->'timestamp') <> 'object' THEN
            RAISE EXCEPTION 'mapping rule: timestamp must be an object' USING ERRCODE = '22023',
                HINT = 'Write e.g. {"path": "$.last_reported", "format": "epoch_s"}.';
        END IF;
        FOR k IN SELECT jsonb_object_keys(rule->'timestamp') LOOP
            IF k NOT IN ('path', 'format', 'pattern', 'timezone') THEN
                RAISE EXCEPTION 'mapping rule: timestamp has unknown key "%"', k USING ERRCODE = '22023',
                    HINT = 'A timestamp has path, format, pattern and timezone.';
            END IF;
        END LOOP;
        PERFORM tmi.check_path(rule->'timestamp'->>'path', 'timestamp.path');
    END IF;
    IF jsonb_typeof(coalesce(rule->'fields', '{}')) <> 'object' THEN
        RAISE EXCEPTION 'mapping rule: fields must be an object' USING ERRCODE = '22023',
            HINT = 'Map canonical names to field specs, e.g. {"bikes": {"path": "$.num_bikes", "type": "integer"}}.';
    END IF;
    FOR f IN SELECT key, value FROM jsonb_each(coalesce(rule->'fields', '{}')) LOOP
        IF f.key !~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$' THEN
            RAISE EXCEPTION 'mapping rule: invalid field name "%"', f.key USING ERRCODE = '22023',
                DETAIL = 'Field names become API columns.',
                HINT = 'Use letters, digits and underscores, at most 63 characters, not starting with a digit.';
        END IF;
        IF jsonb_typeof(f.value) <> 'object' THEN
            RAISE EXCEPTION 'mapping rule: field "%" must be an object', f.key USING ERRCODE = '22023',
                HINT = 'Write e.g. {"path": "$.temp", "type": "number"}.';
        END IF;
        FOR k IN SELECT jsonb_object_keys(f.value) LOOP
            IF k NOT IN ('path', 'type', 'as', 'scale', 'offset', 'unit', 'trim', 'format', 'pattern', 'timezone', 'required') THEN
                RAISE EXCEPTION 'mapping rule: field "%" has unknown key "%"', f.key, k USING ERRCODE = '22023',
                    HINT = 'A field has path, type, as, scale, offset, unit, trim, format, pattern, timezone and required.';
            END IF;
        END LOOP;
        PERFORM tmi.check_path(f.value->>'path', format('fields.%s.path', f.key));
        IF coalesce(f.value->>'type', '') NOT IN ('number', 'integer', 'text', 'boolean', 'timestamp') THEN
            RAISE EXCEPTION 'mapping rule: field "%" has no valid type', f.key USING ERRCODE = '22023',
                DETAIL = format('type = %s', coalesce(f.value->'type', 'null')),
                HINT = 'Use number, integer, text, boolean or timestamp.';
        END IF;
        IF coalesce(f.value->>'as', 'observation') NOT IN ('attribute', 'observation') THEN
            RAISE EXCEPTION 'mapping rule: field "%": "as" must be attribute or observation', f.key USING ERRCODE = '22023',
                HINT = 'attribute: the target''s latest value (target.meta); observation: a time series value (ts_obs.payload).';
        END IF;
        IF (f.value ? 'scale' OR f.value ? 'offset') AND (f.value->>'type' <> 'number'
                OR jsonb_typeof(coalesce(f.value->'scale', '1')) <> 'number'
                OR jsonb_typeof(coalesce(f.value->'offset', '0')) <> 'number') THEN
            RAISE EXCEPTION 'mapping rule: field "%": scale and offset are numbers, for number fields', f.key
                USING ERRCODE = '22023',
                HINT = 'value = raw * scale + offset, e.g. {"type": "number", "scale": 0.1} for tenths.';
        END IF;
        IF (f.value ? 'format' OR f.value ? 'pattern' OR f.value ? 'timezone') AND f.value->>'type' <> 'timestamp' THEN
            RAISE EXCEPTION 'mapping rule: field "%": format, pattern and timezone are for timestamp fields', f.key
                USING ERRCODE = '22023', HINT = 'Remove them, or make the field a timestamp.';
        END IF;
        -- the unit follows the number in the text ("819 ms"), so it cannot start like a number
        IF f.value ? 'unit' AND (f.value->>'type' NOT IN ('number', 'integer') OR jsonb_typeof(f.value->'unit') <> 'string'
                OR f.value->>'unit' !~ '^[^0-9.,+[:space:]-]([^[:space:]]|.*[^[:space:]])?$') THEN
            RAISE EXCEPTION 'mapping rule: field "%": unit is the text after the number, for number and integer fields', f.key
                USING ERRCODE = '22023', DETAIL = format('type = %s, unit = %s', f.value->'type', f.value->'unit'),
                HINT = 'Write the unit as the feed does, e.g. "unit": "ms" for values like "819 ms".';
        END IF;
        IF f.value ? 'trim' AND (f.value->>'type' <> 'text' OR jsonb_typeof(f.value->'trim') <> 'boolean') THEN
            RAISE EXCEPTION 'mapping rule: field "%": trim is true or false, for text fields', f.key USING ERRCODE = '22023',
                HINT = 'trim: true strips leading and trailing white space from the text.';
        END IF;
        IF f.value ? 'required' AND jsonb_typeof(f.value->'required') <> 'boolean' THEN
            RAISE EXCEPTION 'mapping rule: field "%": required is true or false', f.key USING ERRCODE = '22023',
                HINT = 'required: true makes an item without this field fail.';
        END IF;
    END LOOP;
    -- one check for every way a timestamp is read: the rule's timestamp and timestamp fields
    FOR t IN SELECT 'timestamp' AS what, rule->'timestamp' AS spec WHERE rule ? 'timestamp'
             UNION ALL
             SELECT format('field "%s"', key), value FROM jsonb_each(coalesce(rule->'fields', '{}'))
              WHERE value->>'type' = 'timestamp' LOOP
        ts_format := coalesce(t.spec->>'format', 'iso8601');
        IF ts_format NOT IN ('iso8601', 'epoch_s', 'epoch_ms', 'pattern') THEN
            RAISE EXCEPTION 'mapping rule: %: unknown format "%"', t.what, ts_format USING ERRCODE = '22023',
                HINT = 'Use iso8601, epoch_s, epoch_ms or pattern (with "pattern": e.g. "dd/MM/yyyy HH:mm").';
        END IF;
        IF (ts_format = 'pattern') <> (t.spec ? 'pattern') THEN
            RAISE EXCEPTION 'mapping rule: %: "pattern" goes with "format": "pattern"', t.what USING ERRCODE = '22023',
                HINT = 'Write e.g. {"format": "pattern", "pattern": "dd/MM/yyyy HH:mm"}.';
        END IF;
        IF ts_format = 'pattern' THEN
            -- Patterns are java.time's; this allow-list of letter runs is a subset that java.time
            -- accepts (TimeFormatTest checks each run). Text in single quotes is literal.
            letters := regexp_replace(coalesce(t.spec->>'pattern', ''), '''[^'']*''', '', 'g');
            IF jsonb_typeof(t.spec->'pattern') <> 'string' OR letters ~ '[^A-Za-z /:.,_-]' THEN
                RAISE EXCEPTION 'mapping rule: %: pattern has a character it does not allow', t.what USING ERRCODE = '22023',
                    DETAIL = format('pattern = %s', t.spec->'pattern'),
                    HINT = 'Use pattern letters, space and - / : . , _; put other literal text in single quotes, e.g. ''T''.';
            END IF;
            FOR run IN SELECT m[1] FROM regexp_matches(letters, '(([A-Za-z])\2*)', 'g') AS m LOOP
                IF run NOT IN ('yyyy', 'yy', 'uuuu', 'MMMM', 'MMM', 'MM', 'M', 'dd', 'd', 'HH', 'H', 'hh', 'h', 'mm', 'm',
                        'ss', 's', 'a', 'EEE', 'EEEE', 'XXX', 'XX', 'X', 'xxx', 'xx', 'x', 'Z', 'VV')
                        AND run !~ '^S{1,9}$' THEN
                    RAISE EXCEPTION 'mapping rule: %: pattern letters "%" are not allowed', t.what, run USING ERRCODE = '22023',
                        DETAIL = format('pattern = %s', t.spec->'pattern'),
                        HINT = 'Use yyyy yy uuuu M MM MMM MMMM d dd H HH h hh a m mm s ss S..SSSSSSSSS EEE EEEE'
                            ' X XX XXX x xx xxx Z VV; quote literal letters, e.g. ''T''.';
                END IF;
            END LOOP;
            IF letters !~ '[yu]' OR letters !~ 'M' OR letters !~ 'd' OR (letters ~ 'h') <> (letters ~ 'a') THEN
                RAISE EXCEPTION 'mapping rule: %: pattern lacks a part of the date or time', t.what USING ERRCODE = '22023',
                    DETAIL = format('pattern = %s', t.spec->'pattern'),
                    HINT = 'A pattern has a year (yyyy), a month (MM) and a day (dd); h (1-12) goes with a (AM/PM), HH (0-23) without.';
            END IF;
        END IF;
        IF t.spec ? 'timezone' THEN
            IF ts_format NOT IN ('iso8601', 'pattern') THEN
                RAISE EXCEPTION 'mapping rule: %: timezone is for iso8601 and pattern times', t.what USING ERRCODE = '22023',
                    DETAIL = format('format = %s', ts_format),
                    HINT = 'Epoch values are absolute: remove timezone.';
            END IF;
            BEGIN
                -- IANA names only: PostgreSQL also takes abbreviations and POSIX strings that java.time does not
                IF coalesce(t.spec->>'timezone', '') !~ '^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$' THEN
                    RAISE EXCEPTION USING ERRCODE = '22023';
                END IF;
                PERFORM timestamp '2000-01-01' AT TIME ZONE (t.spec->>'timezone');
            EXCEPTION WHEN invalid_parameter_value THEN
                RAISE EXCEPTION 'mapping rule: %: unknown time zone', t.what USING ERRCODE = '22023',
                    DETAIL = format('timezone = %s', t.spec->'timezone'),
                    HINT = 'Use an IANA time zone name such as "Europe/Paris" or "UTC"; it applies to times written without an offset.';
            END;
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION tmi.check_mapping_rule(jsonb) IS 'Raises 22023 naming the first problem of a mapping rule';

CREATE FUNCTION tmi.add_mapping(source text, rule jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    id bigint;
BEGIN
    PERFORM tmi.require(source, 'source', 'Name the source whose documents the rule maps: a connector name or a label.');
    PERFORM tmi.check_mapping_rule(rule);
    INSERT INTO tmi.mapping_rule AS m (source, rule) VALUES (add_mapping.source, add_mapping.rule)
    ON CONFLICT (source) DO UPDATE SET rule = EXCLUDED.rule, enabled = true, updated_at = now()
    RETURNING m.rule_id INTO id;
    RETURN id;
END
$fn$;
COMMENT ON FUNCTION tmi.add_mapping(text, jsonb) IS
    'Registers (or replaces) the mapping rule of a source. New documents of the source are mapped; tmi.remap() re-runs older ones.';

CREATE FUNCTION tmi.remap(source text, include_mapped boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    queued bigint;
BEGIN
    PERFORM tmi.require(source, 'source', 'Name the source whose stored documents should be mapped again.');
    IF NOT EXISTS (SELECT 1 FROM tmi.mapping_rule m WHERE m.source = remap.source AND m.enabled) THEN
        RAISE EXCEPTION 'no mapping rule for source "%"', source USING ERRCODE = '42704',
            HINT = 'Register one with tmi.add_mapping(source, rule) first.';
    END IF;
    -- observations from earlier runs of these documents are replaced, never duplicated
    UPDATE tmi.raw_bucket r SET status = 'pending'
     WHERE r.source = remap.source
       AND (r.status IN ('failed', 'unmapped') OR include_mapped AND r.status = 'mapped');
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$fn$;
COMMENT ON FUNCTION tmi.remap(text, boolean) IS
    'Maps stored documents of a source again (failed and unmapped ones; mapped ones too if asked). Returns how many were queued.';

