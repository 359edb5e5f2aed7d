-- SPDX-License-Identifier: MIT
-- Connector management messages, as a user sees them in psql.
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION tmidb CASCADE;
RESET client_min_messages;
SELECT tmi.add_connector('docks', 'https://example.org/docks.html', '5 minutes', 'html',
       '{"select": "table.docks tr", "fields": {"name": "td.name"}, "headers": {"X-Api-Key": "k-123"}}') > 0 AS added;
SELECT name, format, every, options, enabled FROM tmi.connectors;
-- fail: an html connector needs select and fields
SELECT tmi.add_connector('page', 'https://example.org/', format => 'html');
-- fail: unknown option key (the secret is masked in the detail)
SELECT tmi.add_connector('feed', 'https://example.org/', options => '{"headers": {"X-Api-Key": "k-9"}, "selct": "tr"}');
-- fail: header values are strings
SELECT tmi.add_connector('feed', 'https://example.org/', options => '{"headers": {"X-Retries": 3}}');
-- fail: credentials are basic or bearer
SELECT tmi.add_connector('feed', 'https://example.org/', options => '{"auth": {"user": "u"}}');
-- fail: one-character delimiter
SELECT tmi.add_connector('feed', 'https://example.org/', format => 'csv', options => '{"delimiter": "||"}');
SELECT tmi.set_connector('docks', every => '1 hour', enabled => false) > 0 AS changed;
SELECT name, every, enabled FROM tmi.connectors;
-- fail: nothing to change
SELECT tmi.set_connector('docks');
-- fail: unknown connector
SELECT tmi.set_connector('nope', enabled => true);
-- fail: the new format needs other options
SELECT tmi.set_connector('docks', format => 'csv');
SELECT tmi.drop_connector('docks') > 0 AS dropped;
-- fail: dropped already
SELECT tmi.drop_connector('docks');
SELECT count(*) AS connectors FROM tmi.connectors;
SET client_min_messages = warning;
DROP EXTENSION tmidb CASCADE;
