-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Relay: tmidb-worker relays event_log, in event_id order, to NATS JetStream.
-- Each relay keeps a cursor: the last event id the broker has acknowledged. It
-- moves only forward and only after the ack, so a relay that stops for any
-- reason resumes after the last event the broker holds; the broker drops the
-- re-sent ones it already stored (Nats-Msg-Id = event id).
-------------------------------------------------------------------------------
CREATE TABLE tmi.relay_cursor (
    name          text        PRIMARY KEY CONSTRAINT relay_cursor_name CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    last_event_id bigint      NOT NULL DEFAULT 0 CONSTRAINT relay_cursor_event_id CHECK (last_event_id >= 0),
    last_event_ts timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    forged_messages      bigint NOT NULL DEFAULT 0,
    last_forged_event_id bigint,
    last_forged_at       timestamptz,
    last_forged_detail   text
);
COMMENT ON TABLE tmi.relay_cursor IS 'Per relay: the last event id its broker acknowledged';
COMMENT ON COLUMN tmi.relay_cursor.forged_messages IS
    'Messages found in the stream in place of an event, which the relay did not publish (see tmi.record_relay_forgery)';

CREATE FUNCTION tmi.advance_relay_cursor(name text, last_event_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
DECLARE
    at_id   bigint;
    newest  bigint := (SELECT max(e.event_id) FROM tmi.event_log e);
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the relay''s cursor name, e.g. ''nats''.');
    PERFORM tmi.require(last_event_id, 'last_event_id', 'Pass the highest event id the broker acknowledged.');
    IF name !~ '^[a-z][a-z0-9_-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid relay cursor name "%"', name USING ERRCODE = '22023',
            HINT = 'Use lower-case letters, digits, ''_'' and ''-'', starting with a letter, e.g. ''nats''.';
    END IF;
    IF last_event_id < 0 OR last_event_id > coalesce(newest, 0) THEN
        RAISE EXCEPTION 'event id % is not a numbered event', last_event_id USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('Numbered events run from 1 to %s.', coalesce(newest, 0)),
            HINT = 'Pass an event id read from tmi.events_since().';
    END IF;
    INSERT INTO tmi.relay_cursor AS r (name) VALUES (advance_relay_cursor.name) ON CONFLICT DO NOTHING;
    SELECT r.last_event_id INTO at_id FROM tmi.relay_cursor r WHERE r.name = advance_relay_cursor.name FOR UPDATE;
    IF last_event_id < at_id THEN
        RAISE EXCEPTION 'relay cursor "%" cannot move back', name USING ERRCODE = '22023',
            DETAIL = pg_catalog.format('It is at event %s; %s was passed.', at_id, last_event_id),
            HINT = 'A cursor only moves forward. To relay events again, stop the relay and UPDATE tmi.relay_cursor.';
    END IF;
    UPDATE tmi.relay_cursor r
       SET last_event_id = advance_relay_cursor.last_event_id,
           last_event_ts = (SELECT e.ts FROM tmi.event_log e WHERE e.event_id = advance_relay_cursor.last_event_id),
           updated_at = now()
     WHERE r.name = advance_relay_cursor.name;
END
$fn$;
COMMENT ON FUNCTION tmi.advance_relay_cursor(text, bigint) IS
    'Moves a relay''s cursor forward to the last event its broker acknowledged (creating the cursor when missing)';

-- A message in the relay's stream that the relay did not publish, found under the message id of
-- an event (so the stream dropped the real event as a duplicate): tmi.status() raises the alarm
-- until an admin clears it (UPDATE tmi.relay_cursor SET forged_messages = 0). The same event
-- found again is counted once.
CREATE FUNCTION tmi.record_relay_forgery(name text, event_id bigint, stream_sequence bigint, held text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
#variable_conflict use_column
BEGIN
    PERFORM tmi.require(name, 'name', 'Pass the relay''s cursor name, e.g. ''nats''.');
    PERFORM tmi.require(event_id, 'event_id', 'Pass the id of the event whose message id the stream holds.');
    UPDATE tmi.relay_cursor r
       SET forged_messages = r.forged_messages
               + CASE WHEN r.last_forged_event_id = record_relay_forgery.event_id THEN 0 ELSE 1 END,
           last_forged_event_id = record_relay_forgery.event_id,
           last_forged_at = now(),
           last_forged_detail = pg_catalog.format('stream sequence %s: %s', stream_sequence, held)
     WHERE r.name = record_relay_forgery.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no relay cursor "%"', name USING ERRCODE = '42704',
            HINT = 'Pass the name of a row of tmi.relay_cursor.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.record_relay_forgery(text, bigint, bigint, text) IS
    'Records that a relay''s stream holds a message the relay did not publish in place of an event';

-- SECURITY DEFINER: tmi.status() shows the lag to roles that cannot read event_log
CREATE FUNCTION tmi.relay_status()
RETURNS TABLE (name text, last_event_id bigint, events_behind bigint, seconds_behind double precision,
               updated_at timestamptz)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    WITH newest AS (
        SELECT coalesce(max(e.event_id), 0) AS event_id FROM tmi.event_log e
    ), unnumbered AS (
        -- committed events that tmi.sequence_events() has not numbered yet
        SELECT count(*) AS n, min(e.ts) AS oldest FROM tmi.event_log e WHERE e.event_id IS NULL
    )
    SELECT r.name, r.last_event_id,
           greatest(newest.event_id - r.last_event_id, 0) + unnumbered.n,
           coalesce(extract(epoch FROM now() - least(
               (SELECT e.ts FROM tmi.event_log e WHERE e.event_id = r.last_event_id + 1),
               unnumbered.oldest))::double precision, 0),
           r.updated_at
      FROM tmi.relay_cursor r, newest, unnumbered
     ORDER BY r.name;
END;
COMMENT ON FUNCTION tmi.relay_status() IS
    'Per relay: how many events and how many seconds (age of the oldest unrelayed event) it is behind';

