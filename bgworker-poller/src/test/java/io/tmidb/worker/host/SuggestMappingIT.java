// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.postgresql.util.PSQLException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;

import static io.tmidb.testkit.Sql.assertState;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static io.tmidb.worker.host.MappingIT.ingest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tmi.suggest_mapping on both hosts (tmidb-worker answers on either): a rule for a document or a
 * source's stored documents, which maps the feed once applied; nothing is written before; bad
 * documents are refused with the reason and leave stored data as it was.
 */
@TmidbTest
class SuggestMappingIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GBFS_NEXT = """
            {"last_updated": 1795780860, "ttl": 10, "data": {"stations": [
              {"station_id": "72", "num_bikes_available": 6, "num_docks_available": 13, "is_renting": 1, "is_installed": 1, "last_reported": 1795780841},
              {"station_id": "79", "num_bikes_available": 2, "num_docks_available": 17, "is_renting": 1, "is_installed": 1, "last_reported": 1795780822},
              {"station_id": "82", "num_bikes_available": 4, "num_docks_available": 19, "is_renting": 1, "is_installed": 1, "last_reported": 1795780853},
              {"station_id": "83", "num_bikes_available": 9, "num_docks_available": 1, "is_renting": 1, "is_installed": 0, "last_reported": 1795780811}]}}""";
    private static final String GBFS_FIRST = GBFS_NEXT.replace("\"num_bikes_available\": 6", "\"num_bikes_available\": 5")
            .replace("\"num_bikes_available\": 2,", "\"num_bikes_available\": 3,").replace("17957808", "17957807");

    @ParameterizedTest
    @EnumSource(Host.class)
    void aSuggestedRuleMapsTheFeedOnceApplied(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("suggest_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            String opensky = Feeds.read("opensky_states.json");
            JsonNode fromDocument = suggest(c, "SELECT tmi.suggest_mapping(CAST(? AS jsonb))::text", opensky);
            JsonNode rule = fromDocument.get("rule");
            assertEquals("$.states[*]", rule.get("iterate").asText());
            assertEquals("$[0]", rule.get("key").asText());
            assertEquals("$[6]", rule.get("lat").asText());
            assertEquals("$[5]", rule.get("lon").asText());
            assertTrue(fromDocument.get("elements").size() > 5, fromDocument.toString());
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.target"), "a suggestion writes nothing");

            long first = ingest(c, "bikes", GBFS_FIRST);
            long second = ingest(c, "bikes", GBFS_NEXT);
            running.awaitIdle();
            assertEquals("unmapped", scalar(c, "SELECT status FROM tmi.raw_bucket WHERE raw_id = " + second));
            JsonNode fromSource = suggest(c, "SELECT tmi.suggest_mapping(CAST(? AS text))::text", "bikes");
            JsonNode bikes = fromSource.get("rule");
            assertEquals("$.data.stations[*]", bikes.get("iterate").asText());
            assertEquals("$.station_id", bikes.get("key").asText());
            assertEquals("epoch_s", bikes.get("timestamp").get("format").asText());
            assertEquals("attribute", bikes.get("fields").get("is_installed").get("as").asText(), "the same in both documents");
            assertTrue(bikes.get("fields").get("num_bikes_available").path("as").isMissingNode(), "changes between documents");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.mapping_rule"), "a suggestion applies nothing");

            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.add_mapping('bikes', CAST(? AS jsonb))")) {
                ps.setString(1, bikes.toString());
                ps.execute();
            }
            c.createStatement().execute("SELECT tmi.remap('bikes')");
            running.awaitIdle();
            assertEquals("mapped mapped", scalar(c, "SELECT string_agg(status, ' ' ORDER BY raw_id) FROM tmi.raw_bucket WHERE raw_id IN ("
                    + first + ", " + second + ")"));
            assertEquals(4, scalarLong(c, "SELECT count(*) FROM tmi.target WHERE kind = 'station'"));
            assertEquals("6", scalar(c, "SELECT o.payload->>'num_bikes_available' FROM tmi.ts_obs o JOIN tmi.target t USING (target_id)"
                    + " WHERE t.ext_key = '72' AND o.ts = to_timestamp(1795780841)"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void unreadableDocumentsAreRefusedWithTheReason(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("suggest_bad_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            long stored = ingest(c, "kept", GBFS_FIRST);
            running.awaitIdle();
            String deep = "[".repeat(100) + "1" + "]".repeat(100);
            PSQLException tooDeep = assertState(c, "22023", "SELECT tmi.suggest_mapping('" + deep + "'::jsonb)");
            assertTrue(tooDeep.getServerErrorMessage().getMessage().startsWith("the document nests deeper than 64 levels"),
                    tooDeep.getMessage());
            PSQLException noKey = assertState(c, "42704",
                    "SELECT tmi.suggest_mapping('[{\"a\": 1.5, \"b\": true}, {\"a\": 1.5, \"b\": false}]'::jsonb)");
            assertTrue(noKey.getServerErrorMessage().getMessage().startsWith("no value is present and unique in every item"),
                    noKey.getMessage());
            PSQLException nothing = assertState(c, "42704", "SELECT tmi.suggest_mapping('nothing-stored')");
            assertEquals("no document stored for source \"nothing-stored\"", nothing.getServerErrorMessage().getMessage());
            try (PreparedStatement ps = c.prepareStatement("SELECT payload = CAST(? AS jsonb) AND status = 'unmapped'"
                    + " FROM tmi.raw_bucket WHERE raw_id = ?")) {
                ps.setString(1, GBFS_FIRST);
                ps.setLong(2, stored);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next() && rs.getBoolean(1), "stored data is intact");
                }
            }
        }
    }

    private static JsonNode suggest(Connection c, String sql, String arg) throws SQLException, java.io.IOException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return JSON.readTree(rs.getString(1));
            }
        }
    }
}
