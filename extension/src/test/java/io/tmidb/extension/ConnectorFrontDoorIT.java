// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.util.ServerErrorMessage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tmi.add_connector's options, tmi.set_connector, tmi.drop_connector and the NOTIFY that wakes the worker. */
@TmidbTest
class ConnectorFrontDoorIT {

    private static String row(Connection c, String name) throws SQLException {
        return scalar(c, "SELECT concat_ws(' ', url, every, format, options, enabled, etag) FROM tmi.ingest_connector WHERE name = '" + name + "'");
    }

    @Test
    void addConnectorValidatesOptionsPerFormat(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            String url = "'https://example.org/feed'";
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", options => '{\"header\": {}}')");
            ServerErrorMessage unknown = assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", options => '{\"select\": \"tr\"}')");
            assertTrue(unknown.getHint().contains("headers, auth"), unknown.getHint());
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", options => '{\"headers\": {\"X-Key\": 42}}')");
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", options => '{\"headers\": {\"bad name\": \"v\"}}')");
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", options => '{\"auth\": {\"user\": \"u\"}}')");
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", options => '{\"auth\": \"secret\"}')");
            ServerErrorMessage html = assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", format => 'html')");
            assertTrue(html.getHint().contains("select"), html.getHint());
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", format => 'html', options => '{\"select\": \"tr\", \"fields\": {}}')");
            assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", format => 'csv', options => '{\"delimiter\": \";;\"}')");
            // a refused secret is not echoed back in the error
            ServerErrorMessage masked = assertFails(c, "22023",
                    "SELECT tmi.add_connector('o1', " + url + ", options => '{\"headers\": {\"X-Key\": \"s3cr3t\"}, \"extra\": 1}')");
            assertTrue(!masked.getDetail().contains("s3cr3t") && masked.getDetail().contains("********"), masked.getDetail());
            ServerErrorMessage mode = assertFails(c, "22023", "SELECT tmi.add_connector('o1', " + url + ", mapping => 'sometimes')");
            assertEquals("invalid mapping mode \"sometimes\"", mode.getMessage());
            assertFails(c, "22004", "SELECT tmi.add_connector('o1', " + url + ", mapping => NULL)");
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ingest_connector WHERE name = 'o1'"));

            scalar(c, "SELECT tmi.add_connector('o-html', " + url + ", format => 'html',"
                    + " options => '{\"select\": \"tr\", \"fields\": {\"name\": \"td.n\"}, \"headers\": {\"Accept-Language\": \"en\"}}')");
            scalar(c, "SELECT tmi.add_connector('o-csv', " + url + ", format => 'csv', options => '{\"delimiter\": \";\", \"auth\": {\"bearer\": \"t\"}}')");
            assertEquals(2, scalarLong(c, "SELECT count(*) FROM tmi.ingest_connector WHERE name LIKE 'o-%'"));
            assertEquals("manual", scalar(c, "SELECT mapping FROM tmi.connectors WHERE name = 'o-csv'"), "the default mode");
        }
    }

    @Test
    void setConnectorChangesWhatIsGivenAndRunsItAtOnce(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            long id = scalarLong(c, "SELECT tmi.add_connector('s1', 'https://example.org/a', '1 hour')");
            st.execute("UPDATE tmi.ingest_connector SET etag = '\"x\"', next_run = now() + interval '1 hour' WHERE name = 's1'");
            assertEquals(id, scalarLong(c, "SELECT tmi.set_connector('s1', enabled => false)"));
            assertEquals("https://example.org/a 01:00:00 json {} f \"x\"", row(c, "s1"));
            assertEquals("true", scalar(c, "SELECT (next_run <= now())::text FROM tmi.ingest_connector WHERE name = 's1'"));
            st.execute("SELECT tmi.set_connector('s1', url => 'https://example.org/b', every => '10 seconds', enabled => true)");
            // validators of the old URL are forgotten
            assertEquals("https://example.org/b 00:00:10 json {} t", row(c, "s1"));
            st.execute("SELECT tmi.set_connector('s1', format => 'text', options => '{\"headers\": {\"X-A\": \"1\"}}')");
            assertEquals("https://example.org/b 00:00:10 text {\"headers\": {\"X-A\": \"1\"}} t", row(c, "s1"));
        }
    }

    @Test
    void setConnectorRejectsBadArgumentsAndChangesNothing(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            scalar(c, "SELECT tmi.add_connector('s2', 'https://example.org/a', '1 hour')");
            String before = row(c, "s2");
            assertFails(c, "22004", "SELECT tmi.set_connector(NULL, enabled => false)");
            assertFails(c, "22023", "SELECT tmi.set_connector('s2')");
            ServerErrorMessage missing = assertFails(c, "42704", "SELECT tmi.set_connector('nope', enabled => false)");
            assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
            assertFails(c, "22023", "SELECT tmi.set_connector('s2', url => 'ftp://example.org/')");
            assertFails(c, "22023", "SELECT tmi.set_connector('s2', every => '10 milliseconds')");
            assertFails(c, "22023", "SELECT tmi.set_connector('s2', format => 'xml')");
            // the html format needs options it does not have yet
            assertFails(c, "22023", "SELECT tmi.set_connector('s2', format => 'html')");
            assertFails(c, "22023", "SELECT tmi.set_connector('s2', options => '[]')");
            assertEquals(before, row(c, "s2"));
        }
    }

    @Test
    void dropConnectorKeepsTheDocumentsItDelivered(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            long id = scalarLong(c, "SELECT tmi.add_connector('d1', 'https://example.org/a')");
            scalar(c, "SELECT tmi.ingest('d1', '{\"n\": 1}')");
            assertEquals(id, scalarLong(c, "SELECT tmi.drop_connector('d1')"));
            assertEquals(0, scalarLong(c, "SELECT count(*) FROM tmi.ingest_connector WHERE name = 'd1'"));
            assertEquals("d1 {\"n\": 1}", scalar(c, "SELECT source || ' ' || payload FROM tmi.raw_bucket WHERE source = 'd1' AND connector_id IS NULL"));
            assertFails(c, "42704", "SELECT tmi.drop_connector('d1')");
            assertFails(c, "22004", "SELECT tmi.drop_connector(NULL)");
        }
    }

    @Test
    void configurationChangesNotifyTheWorkerAndItsOwnUpdatesDoNot(TestDatabase db) throws Exception {
        try (Connection listener = db.connect(); Connection c = db.connect(); Statement st = c.createStatement()) {
            listener.createStatement().execute("LISTEN tmi_connector");
            st.execute("SELECT tmi.add_connector('n1', 'https://example.org/a')");
            st.execute("SELECT tmi.set_connector('n1', every => '5 minutes')");
            st.execute("UPDATE tmi.ingest_connector SET last_attempt = now(), next_run = now(), last_status = 200,"
                    + " consecutive_failures = 0, etag = 'e' WHERE name = 'n1'");
            st.execute("SELECT tmi.drop_connector('n1')");
            List<String> got = new ArrayList<>();
            PGConnection pg = listener.unwrap(PGConnection.class);
            for (int i = 0; i < 10 && got.size() < 3; i++) { // bounded: 10 waits of at most 200 ms
                PGNotification[] batch = pg.getNotifications(200);
                for (PGNotification n : batch == null ? new PGNotification[0] : batch) {
                    got.add(n.getName() + ":" + n.getParameter());
                }
            }
            assertEquals(List.of("tmi_connector:n1", "tmi_connector:n1", "tmi_connector:n1"), got);
            PGNotification[] after = pg.getNotifications(200);
            assertEquals(0, after == null ? 0 : after.length, "the worker's state update notified");
        }
    }

    @Test
    void theConnectorsViewMasksSecrets(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            scalar(c, "SELECT tmi.add_connector('m1', 'https://example.org/a', options => '{\"headers\": {\"X-Key\": \"k1\"}, \"auth\": {\"bearer\": \"b1\"}}')");
            assertEquals("{\"auth\": \"********\", \"headers\": {\"X-Key\": \"********\"}}",
                    scalar(c, "SELECT options::text FROM tmi.connectors WHERE name = 'm1'"));
            assertEquals("{}", scalar(c, "SELECT tmi.mask_connector_options('{}')::text"));
            assertEquals(List.of("connector_id", "name", "url", "every", "format", "options", "enabled", "created_at",
                            "last_attempt", "last_success", "last_status", "last_error", "consecutive_failures", "next_run",
                            "mapping", "suggestion", "suggestion_note"),
                    Sql.column(c, "SELECT attname FROM pg_attribute WHERE attrelid = 'tmi.connectors'::regclass AND attnum > 0 ORDER BY attnum"));
        }
    }
}
