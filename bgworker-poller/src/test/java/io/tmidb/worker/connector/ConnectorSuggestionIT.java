// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.Worker;
import io.tmidb.worker.host.Host;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static io.tmidb.worker.connector.ConnectorTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connectors added with {@code mapping => 'auto'} or {@code 'suggest'}, fetching real feed shapes
 * from a local HTTP server: a confident suggestion is applied and the feed lands in the canonical
 * tables without a hand-written rule; a doubtful one stays a suggestion with the reason; a rule a
 * person wrote is never replaced; a suggestion applied later maps the stored documents.
 */
@TmidbTest
class ConnectorSuggestionIT {
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String GBFS = """
            {"last_updated": 1795780800, "ttl": 10, "data": {"stations": [
              {"station_id": "72", "name": "W 52 St & 11 Ave", "lat": 40.76727, "lon": -73.99392, "num_bikes_available": 6, "num_docks_available": 13, "is_renting": 1, "last_reported": 1795780741},
              {"station_id": "79", "name": "Franklin St & W Broadway", "lat": 40.71912, "lon": -74.00667, "num_bikes_available": 2, "num_docks_available": 17, "is_renting": 1, "last_reported": 1795780722},
              {"station_id": "82", "name": "St James Pl & Pearl St", "lat": 40.71117, "lon": -74.00016, "num_bikes_available": 4, "num_docks_available": 19, "is_renting": 1, "last_reported": 1795780753},
              {"station_id": "83", "name": "Atlantic Ave & Fort Greene Pl", "lat": 40.68382, "lon": -73.97632, "num_bikes_available": 9, "num_docks_available": 1, "is_renting": 0, "last_reported": 1795780711},
              {"station_id": "116", "name": "W 17 St & 8 Ave", "lat": 40.74177, "lon": -74.00149, "num_bikes_available": 11, "num_docks_available": 28, "is_renting": 1, "last_reported": 1795780760}]}}""";
    /** Rows whose two coordinates both lie within [-90, 90]: which one is the latitude is a guess. */
    private static final String AMBIGUOUS_ROWS = """
            {"rows": [["A10", 12.3456, 45.6789, 0], ["B11", 12.4826, 45.7499, 3], ["C12", 12.6196, 45.8209, 6],
                      ["D13", 12.7566, 45.8919, 2], ["E14", 12.8936, 45.9629, 5], ["F15", 13.0306, 46.0339, 1]]}""";
    /** A loaded machine answers slower than the connector tests' usual one second. */
    private static final Map<String, String> SLOW_MACHINE = Map.of("connector-read-timeout", "PT10S",
            "connector-connect-timeout", "PT5S");
    private static FeedServer feeds;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
        feeds.route("/gbfs.json", FeedServer.ok("application/json", GBFS));
        feeds.route("/rows.json", FeedServer.ok("application/json", AMBIGUOUS_ROWS));
    }

    @AfterAll
    static void stopFeeds() {
        feeds.close();
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void autoAppliesAConfidentRuleAndLeavesADoubtfulOneAsASuggestion(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("connector_suggest_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running mapping = host.start(d); Worker fetching = ConnectorTesting.startWorker(d, SLOW_MACHINE);
             Connection c = d.connect()) {
            c.createStatement().execute("SELECT tmi.add_connector('bikes', '" + feeds.url("/gbfs.json")
                    + "', every => '2 seconds', mapping => 'auto')");
            c.createStatement().execute("SELECT tmi.add_connector('rows', '" + feeds.url("/rows.json")
                    + "', every => '2 seconds', mapping => 'auto')");
            String bikes = await(WAIT, "the bikes suggestion", () -> note(c, "bikes"));
            assertTrue(bikes.startsWith("applied: every required element has confidence >= 0.8"), bikes);
            await(WAIT, "the bikes feed mapped", () -> scalarLong(c, "SELECT count(*) FROM tmi.ts_obs") == 5 ? true : null);
            assertEquals("$.data.data.stations[*]", scalar(c, "SELECT rule->>'iterate' FROM tmi.mapping_rule WHERE source = 'bikes'"));
            assertEquals("W 52 St & 11 Ave 40.76727 -73.99392", scalar(c, "SELECT t.name || ' ' || g.lat || ' ' || g.lon"
                    + " FROM tmi.target t JOIN tmi.geo_trace g USING (target_id) WHERE t.ext_key = '72'"));
            assertEquals("11", scalar(c, "SELECT o.payload->>'num_bikes_available' FROM tmi.ts_obs o JOIN tmi.target t USING (target_id)"
                    + " WHERE t.ext_key = '116' AND o.ts = to_timestamp(1795780760)"));

            String rows = await(WAIT, "the rows suggestion", () -> note(c, "rows"));
            assertTrue(rows.startsWith("left as a suggestion: below 0.8: lat "), rows);
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.mapping_rule WHERE source = 'rows'"), "a doubtful rule is not applied");
            assertEquals("unmapped", scalar(c, "SELECT string_agg(DISTINCT status, ',') FROM tmi.raw_bucket WHERE source = 'rows'"));
            assertEquals("$.data.rows[*]", scalar(c, "SELECT suggestion->'rule'->>'iterate' FROM tmi.connectors WHERE name = 'rows'"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void aPersonsRuleIsNeverReplacedAndASuggestionAppliesLater(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("connector_suggest_rule_" + host.name().toLowerCase(Locale.ROOT), false);
        String mine = "{\"iterate\": \"$.data.data.stations[*]\", \"kind\": \"dock\", \"key\": \"$.station_id\","
                + " \"fields\": {\"free\": {\"path\": \"$.num_docks_available\", \"type\": \"integer\"}}}";
        try (Host.Running mapping = host.start(d); Worker fetching = ConnectorTesting.startWorker(d, SLOW_MACHINE);
             Connection c = d.connect()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.add_mapping('mine', CAST(? AS jsonb))")) {
                ps.setString(1, mine);
                ps.execute();
            }
            c.createStatement().execute("SELECT tmi.add_connector('mine', '" + feeds.url("/gbfs.json")
                    + "', every => '2 seconds', mapping => 'auto')");
            c.createStatement().execute("SELECT tmi.add_connector('later', '" + feeds.url("/gbfs.json")
                    + "', every => '2 seconds', mapping => 'suggest')");
            assertEquals("not applied: the source has a rule, which a suggestion never replaces",
                    await(WAIT, "the suggestion for mine", () -> note(c, "mine")));
            assertEquals("dock", scalar(c, "SELECT rule->>'kind' FROM tmi.mapping_rule WHERE source = 'mine'"));

            String later = await(WAIT, "the suggestion for later", () -> note(c, "later"));
            assertTrue(later.startsWith("suggested ("), later);
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.mapping_rule WHERE source = 'later'"), "suggest applies nothing");
            c.createStatement().execute("SELECT tmi.add_mapping('later', suggestion->'rule'), tmi.remap('later')"
                    + " FROM tmi.connectors WHERE name = 'later'");
            await(WAIT, "the later feed mapped", () -> "mapped".equals(
                    scalar(c, "SELECT string_agg(DISTINCT status, ',') FROM tmi.raw_bucket WHERE source = 'later'")) ? true : null);
            assertEquals(5, scalarLong(c, "SELECT count(*) FROM tmi.target WHERE kind = 'station'"));
        }
    }

    private static String note(Connection c, String name) throws java.sql.SQLException {
        return Sql.scalar(c, "SELECT suggestion_note FROM tmi.connectors WHERE name = '" + name + "'");
    }
}
