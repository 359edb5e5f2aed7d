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

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static io.tmidb.worker.connector.ConnectorTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A real feed polled every second by a connector and mapped on either host: fetches of an unchanged
 * feed store no reading and make no event; when one station changes, only its reading changes.
 */
@TmidbTest
class FeedRefetchIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String RULE = """
            {"iterate": "$.data.data.stations[*]", "kind": "bike_station", "key": "$.station_id",
             "timestamp": {"path": "$.last_reported", "format": "epoch_s"},
             "fields": {"bikes": {"path": "$.num_bikes_available", "type": "integer"},
                        "docks": {"path": "$.num_docks_available", "type": "integer"}}}""";
    private static FeedServer feeds;

    @BeforeAll
    static void startFeeds() throws Exception {
        feeds = new FeedServer();
    }

    @AfterAll
    static void stopFeeds() {
        feeds.close();
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void unchangedStationsStoreNothingAndAChangedOneIsCorrected(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("refetch_" + host.name().toLowerCase(Locale.ROOT), false);
        String path = "/gbfs-" + host.name().toLowerCase(Locale.ROOT) + ".json";
        AtomicReference<String> feed = new AtomicReference<>(gbfs());
        feeds.route(path, ex -> FeedServer.send(ex, 200, "application/json", feed.get()));
        try (Host.Running mapping = host.start(d); Worker fetching = ConnectorTesting.startWorker(d, Map.of());
             Connection c = d.connect()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT tmi.add_mapping('city-bikes', CAST(? AS jsonb))")) {
                ps.setString(1, RULE);
                ps.execute();
            }
            c.createStatement().execute("SELECT tmi.add_connector('city-bikes', '" + feeds.url(path) + "', every => '1 second')");
            await(WAIT, "three fetches mapped", () -> mapped(c) >= 3 ? true : null);
            assertEquals(3, Sql.scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"), "3 stations, one reading each");
            assertEquals(List.of("0 3"), Sql.column(c, "SELECT DISTINCT (counts->>'observations') || ' '"
                    + " || (counts->>'observations_unchanged') FROM tmi.raw_bucket WHERE raw_id > (SELECT min(raw_id) FROM tmi.raw_bucket)"
                    + " AND status = 'mapped'"));
            assertEquals(List.of("obs 3"), Sql.column(c, "SELECT event_type || ' ' || sum((payload->>'count')::int)"
                    + " FROM tmi.event_log WHERE event_type LIKE 'obs%' GROUP BY event_type"));

            long before = mapped(c);
            feed.set(gbfs().replace("\"num_bikes_available\": 7", "\"num_bikes_available\": 6"));
            await(WAIT, "the change mapped", () -> Sql.scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket"
                    + " WHERE counts ? 'observations_corrected'") > 0 ? true : null);
            await(WAIT, "two more fetches", () -> mapped(c) >= before + 3 ? true : null);
            assertEquals(3, Sql.scalarLong(c, "SELECT count(*) FROM tmi.ts_obs"));
            assertEquals("{\"bikes\": 6, \"docks\": 12}", Sql.scalar(c, "SELECT payload::text FROM tmi.ts_obs o"
                    + " JOIN tmi.target t USING (target_id) WHERE t.ext_key = 'ST-101'"));
            assertEquals(List.of("obs 3", "obs.corrected 1"), Sql.column(c, "SELECT event_type || ' ' || sum((payload->>'count')::int)"
                    + " FROM tmi.event_log WHERE event_type LIKE 'obs%' GROUP BY event_type ORDER BY 1"));
            c.createStatement().execute("SELECT tmi.set_connector('city-bikes', enabled => false)");
        }
    }

    private static long mapped(Connection c) throws java.sql.SQLException {
        return Sql.scalarLong(c, "SELECT count(*) FROM tmi.raw_bucket WHERE status = 'mapped'");
    }

    /** The GBFS station_status feed of the mapping tests, less its malformed station. */
    private static String gbfs() {
        try (InputStream in = FeedRefetchIT.class.getResourceAsStream("/feeds/gbfs_station_status.json")) {
            String doc = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return doc.replaceAll("(?s)\\{\"station_id\": \"ST-103\".*?\\},\\s*", "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
