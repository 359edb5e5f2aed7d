// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SQL front door: what each function does, and the error it gives on bad input. */
@TmidbTest
class FrontDoorIT {

    @Test
    void addTargetUpsertsByKindAndExternalKey(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            String id = scalar(c, "SELECT tmi.add_target('Pump 1', 'pump', '{\"vendor\": \"acme\"}', 'P1')");
            String again = scalar(c, "SELECT tmi.add_target('Pump one', 'pump', '{\"site\": \"north\"}', 'P1')");
            assertEquals(id, again);
            assertEquals("Pump one", scalar(c, "SELECT name FROM tmi.target WHERE target_id = '" + id + "'"));
            assertEquals("{\"site\": \"north\", \"vendor\": \"acme\"}",
                    scalar(c, "SELECT meta::text FROM tmi.target WHERE target_id = '" + id + "'"));
            // the same key in another kind, or no key at all, is another target
            assertNotEquals(id, scalar(c, "SELECT tmi.add_target('Valve 1', 'valve', '{}', 'P1')"));
            assertNotEquals(scalar(c, "SELECT tmi.add_target('anon', 'pump')"), scalar(c, "SELECT tmi.add_target('anon', 'pump')"));
            assertEquals(id, scalar(c, "SELECT tmi.target_id('pump', 'P1')"));
        }
    }

    @Test
    void addTargetRejectsBadArguments(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            long before = scalarLong(c, "SELECT count(*) FROM tmi.target");
            assertFails(c, "22004", "SELECT tmi.add_target(NULL, 'pump')");
            assertFails(c, "22023", "SELECT tmi.add_target('', 'pump')");
            ServerErrorMessage m = assertFails(c, "22023", "SELECT tmi.add_target('x', 'Bad Kind')");
            assertTrue(m.getMessage().contains("Bad Kind"), m.getMessage());
            assertFails(c, "22023", "SELECT tmi.add_target('x', 'pump', '[1, 2]')");
            assertFails(c, "22023", "SELECT tmi.add_target('x', 'pump', '{}', '')");
            assertFails(c, "42704", "SELECT tmi.target_id('pump', 'no such key')");
            assertEquals(before, scalarLong(c, "SELECT count(*) FROM tmi.target"));
        }
    }

    @Test
    void observeWritesObservationAndPosition(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            String id = scalar(c, "SELECT tmi.add_target('Bus 42', 'bus', '{}', 'bus-42')");
            st.execute("SELECT tmi.observe('" + id + "', '2026-11-27 10:00Z', '{\"speed\": 31.5}', 37.55, 126.97)");
            st.execute("SELECT tmi.observe('" + id + "', '2026-11-27 10:01Z', '{\"speed\": 12}')");
            assertEquals(List.of("{\"speed\": 31.5}", "{\"speed\": 12}"), Sql.column(c,
                    "SELECT payload::text FROM tmi.ts_obs WHERE target_id = '" + id + "' ORDER BY ts"));
            assertEquals("2026-11-27 10:00:00+00 37.55 126.97", scalar(c,
                    "SELECT ts || ' ' || lat || ' ' || lon FROM tmi.geo_trace WHERE target_id = '" + id + "'"));
        }
    }

    @Test
    void observeRejectsBadArgumentsAndKeepsNothing(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            String id = scalar(c, "SELECT tmi.add_target('Bus 7', 'bus', '{}', 'bus-7')");
            String call = "SELECT tmi.observe('" + id + "', now(), ";
            ServerErrorMessage unknown = assertFails(c, "42704",
                    "SELECT tmi.observe('00000000-0000-0000-0000-000000000000', now(), '{}')");
            assertTrue(unknown.getMessage().contains("00000000-0000-0000-0000-000000000000"));
            assertFails(c, "22004", "SELECT tmi.observe(NULL, now(), '{}')");
            assertFails(c, "22004", "SELECT tmi.observe('" + id + "', NULL, '{}')");
            assertFails(c, "22023", call + "'42')");
            assertFails(c, "22023", call + "'{}', lat => 1)");
            assertFails(c, "22023", call + "'{}', 91, 0)");
            assertFails(c, "22023", call + "'{}', 0, -180.5)");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ts_obs WHERE target_id = '" + id + "'"));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.geo_trace WHERE target_id = '" + id + "'"));
        }
    }

    @Test
    void addConnectorValidatesEverything(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            long id = scalarLong(c, "SELECT tmi.add_connector('city-bikes', 'https://example.org/gbfs/station_status.json',"
                    + " every => '30 seconds', format => 'json', options => '{\"headers\": {\"X-Key\": \"k\"}}')");
            assertEquals("city-bikes 00:00:30 json true", scalar(c,
                    "SELECT name || ' ' || every || ' ' || format || ' ' || enabled FROM tmi.ingest_connector WHERE connector_id = " + id));
            assertFails(c, "23505", "SELECT tmi.add_connector('city-bikes', 'https://example.org/other.json')");
            assertFails(c, "22023", "SELECT tmi.add_connector('ftp', 'ftp://example.org/file.csv')");
            assertFails(c, "22023", "SELECT tmi.add_connector('nohost', 'https:///path')");
            assertFails(c, "22023", "SELECT tmi.add_connector('spaces', 'https://example.org/a b')");
            assertFails(c, "22023", "SELECT tmi.add_connector('creds', 'https://user:pw@example.org/')");
            assertFails(c, "22023", "SELECT tmi.add_connector('fast', 'https://example.org/', '500 milliseconds')");
            ServerErrorMessage format = assertFails(c, "22023", "SELECT tmi.add_connector('x', 'https://example.org/', format => 'xml')");
            assertTrue(format.getHint().contains("csv"), format.getHint());
            assertFails(c, "22023", "SELECT tmi.add_connector('x', 'https://example.org/', options => '[]')");
            assertFails(c, "22023", "SELECT tmi.add_connector('bad name!', 'https://example.org/')");
            assertFails(c, "22004", "SELECT tmi.add_connector('x', NULL)");
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.ingest_connector"));
        }
    }

    @Test
    void ingestStoresTheDocumentAndLinksItsConnector(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            long connector = scalarLong(c, "SELECT tmi.add_connector('weather', 'http://example.org/w.json')");
            long fromConnector = scalarLong(c, "SELECT tmi.ingest('weather', '{\"t\": 21.5}')");
            long fromSpeaker = scalarLong(c, "SELECT tmi.ingest('hand-typed', '{\"t\": 20}')");
            assertEquals(String.valueOf(connector), scalar(c,
                    "SELECT connector_id FROM tmi.raw_bucket WHERE raw_id = " + fromConnector));
            assertNull(scalar(c, "SELECT connector_id FROM tmi.raw_bucket WHERE raw_id = " + fromSpeaker));
            assertEquals("pending {\"t\": 20}", scalar(c,
                    "SELECT status || ' ' || payload::text FROM tmi.raw_bucket WHERE raw_id = " + fromSpeaker));
        }
    }

    @Test
    void ingestRejectsMalformedAndOversizedDocumentsAndLosesNothing(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            scalar(c, "SELECT tmi.ingest('ok', '{\"kept\": true}')");
            long before = scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket");
            // PostgreSQL's own JSON parser rejects malformed documents before tmiDB sees them
            Sql.assertState(c, "22P02", "SELECT tmi.ingest('bad', '{\"unterminated\": ')");
            assertFails(c, "22004", "SELECT tmi.ingest('x', NULL)");
            assertFails(c, "22004", "SELECT tmi.ingest(NULL, '{}')");
            assertFails(c, "22023", "SELECT tmi.ingest('', '{}')");

            // a document over the default 16 MiB limit, sent as a bind parameter like any client would
            String huge = "{\"blob\": \"" + "x".repeat(17 * 1024 * 1024) + "\"}";
            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.ingest('huge', ?::jsonb)")) {
                ps.setString(1, huge);
                Sql.assertState(ps, "54000");
            }
            try (Statement st = c.createStatement()) {
                st.execute("SET tmi.max_payload_bytes = 100");
            }
            ServerErrorMessage m = assertFails(c, "54000", "SELECT tmi.ingest('small', '{\"text\": \"" + "y".repeat(200) + "\"}')");
            assertTrue(m.getDetail().contains("limit is 100"), m.getDetail());
            assertEquals(before, scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket"));
            assertEquals("{\"kept\": true}", scalar(c, "SELECT payload::text FROM tmi.raw_bucket WHERE source = 'ok'"));
        }
    }

    @Test
    void addMappingNamesTheFirstProblemOfARule(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            String ok = "{\"kind\": \"bike\", \"key\": \"$.id\", \"fields\": {\"v\": {\"path\": \"$.v\", \"type\": \"number\"}}}";
            long id = scalarLong(c, "SELECT tmi.add_mapping('feed', '" + ok + "')");
            assertEquals(id, scalarLong(c, "SELECT tmi.add_mapping('feed', '" + ok + "')"), "one rule per source, replaced");
            String[][] bad = {
                {"[]", "22023"},
                {"{\"key\": \"$.id\"}", "22023"},
                {"{\"kind\": \"bike\"}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id[\"}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"lat\": \"$.lat\"}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"colour\": \"red\"}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"timestamp\": {\"path\": \"$.t\", \"format\": \"unix\"}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"fields\": {\"v\": {\"path\": \"$.v\", \"type\": \"float\"}}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"fields\": {\"v\": {\"path\": \"$.v\", \"type\": \"text\", \"scale\": 2}}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"fields\": {\"bad name\": {\"path\": \"$.v\", \"type\": \"text\"}}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"fields\": {\"v\": {\"path\": \"$.v\", \"type\": \"text\", \"as\": \"meta\"}}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"timestamp\": {\"path\": \"$.t\", \"timezone\": \"CEST\"}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"timestamp\": {\"path\": \"$.t\", \"format\": \"pattern\", \"pattern\": \"yyyy-MM-ddTHH\"}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"fields\": {\"v\": {\"path\": \"$.v\", \"type\": \"text\", \"unit\": \"ms\"}}}", "22023"},
                {"{\"kind\": \"bike\", \"key\": \"$.id\", \"position\": {\"geojson\": \"$.g\"}, \"lat\": \"$.a\", \"lon\": \"$.o\"}", "22023"},
            };
            for (String[] b : bad) {
                assertFails(c, b[1], "SELECT tmi.add_mapping('feed', '" + b[0] + "')");
            }
            assertFails(c, "22004", "SELECT tmi.add_mapping(NULL, '" + ok + "')");
            assertFails(c, "42704", "SELECT tmi.remap('no-such-source')");
            // on the worker host the worker answers previews; with no worker running the call says so at once
            assertFails(c, "55000", "SELECT tmi.mapping_preview('" + ok + "', '{\"id\": 1}')");
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.mapping_rule"));
        }
    }

    @Test
    void statusReportsEverySubsystem(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT subsystem, state, detail FROM tmi.status()")) {
            StringBuilder seen = new StringBuilder();
            while (rs.next()) {
                seen.append(rs.getString(1)).append(' ');
                assertTrue(List.of("ok", "attention").contains(rs.getString(2)), rs.getString(2));
                assertTrue(!rs.getString(3).isBlank());
            }
            assertEquals("extension storage geo raw_bucket connectors events relay retention files ", seen.toString());
        }
    }

    @Test
    void speakersAndListenersMayReadTheStatus(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            for (String role : List.of("tmi_speaker", "tmi_listener")) {
                st.execute("SET ROLE " + role);
                assertEquals(9, scalarLong(c, "SELECT count(*) FROM tmi.status()"), role);
                st.execute("RESET ROLE");
            }
        }
    }
}
