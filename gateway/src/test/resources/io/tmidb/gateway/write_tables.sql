-- SPDX-License-Identifier: MIT
-- Tables, a view and functions of api_v2 for the write tests, next to the test kit's views.
CREATE TABLE api_v2.note (
    id integer PRIMARY KEY,
    code text UNIQUE,
    body text NOT NULL,
    tag text,
    made_by text DEFAULT 'gateway'
);
-- a view that shows no key: a limited PATCH/DELETE has no way to name its rows
CREATE VIEW api_v2.note_text AS SELECT body, tag FROM api_v2.note;
-- no key at all, written by a function
CREATE TABLE api_v2.call_log (msg text NOT NULL);

CREATE FUNCTION api_v2.log_call(msg text)
RETURNS SETOF api_v2.call_log
LANGUAGE sql VOLATILE
AS $fn$ INSERT INTO api_v2.call_log (msg) VALUES (msg) RETURNING * $fn$;

CREATE FUNCTION api_v2.log_twice(msg text)
RETURNS SETOF api_v2.call_log
LANGUAGE sql VOLATILE
AS $fn$ INSERT INTO api_v2.call_log (msg) VALUES (msg), (msg) RETURNING * $fn$;

CREATE FUNCTION api_v2.log_one(msg text)
RETURNS integer
LANGUAGE sql VOLATILE
AS $fn$ INSERT INTO api_v2.call_log (msg) VALUES (msg) RETURNING 1 $fn$;

GRANT SELECT, INSERT, UPDATE, DELETE ON api_v2.note, api_v2.note_text, api_v2.call_log TO tmi_speaker;

CREATE FUNCTION api_v2.forget(msg text)
RETURNS void
LANGUAGE sql VOLATILE
AS $fn$ DELETE FROM api_v2.call_log WHERE call_log.msg = forget.msg $fn$;
