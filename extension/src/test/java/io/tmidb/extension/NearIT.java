// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.tmidb.testkit.Sql.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tmi.near on 100,000 positions: right answers, nearest first, through the point index. */
@TmidbTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NearIT {
    private static final double EARTH_RADIUS_M = 6378168; // earthdistance's earth()
    private static final double LAT = 37.5665;
    private static final double LON = 126.9780;

    /** 10,000 targets in two kinds, 10 positions each within ~30 km of the centre, hour apart. */
    @BeforeAll
    void load(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT setseed(0.42)");
            st.execute("""
                    INSERT INTO tmi.target (target_id, kind, name, ext_key)
                    SELECT md5('t' || i)::uuid, CASE WHEN i % 2 = 0 THEN 'bike' ELSE 'scooter' END, 'vehicle ' || i, 'V' || i
                      FROM generate_series(1, 10000) i""");
            st.execute("""
                    INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
                    SELECT md5('t' || i)::uuid, timestamptz '2026-11-27 00:00Z' + h * interval '1 hour',
                           37.5665 + (random() - 0.5) * 0.5, 126.9780 + (random() - 0.5) * 0.6
                      FROM generate_series(1, 10000) i, generate_series(0, 9) h""");
            st.execute("ANALYZE tmi.geo_trace");
            st.execute("ANALYZE tmi.target");
            assertEquals(100_000, Sql.scalarLong(c, "SELECT count(*) FROM tmi.geo_trace"));
        }
    }

    @Test
    void usesThePointIndex(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            // auto_explain reports the plan of the query inside tmi.near as a notice
            st.execute("LOAD 'auto_explain'");
            st.execute("SET auto_explain.log_min_duration = 0");
            st.execute("SET auto_explain.log_nested_statements = on");
            st.execute("SET auto_explain.log_level = 'notice'");
            st.execute("SET client_min_messages = 'notice'");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tmi.near(" + LAT + ", " + LON + ", 1000)")) {
                rs.next();
            }
            StringBuilder plans = new StringBuilder();
            for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
                plans.append(w.getMessage()).append('\n');
            }
            String plan = plans.toString();
            assertTrue(plan.contains("FROM tmi.geo_trace g"), plan);
            assertTrue(plan.contains("Index Scan using geo_trace_point_idx") || plan.contains("Bitmap Index Scan on geo_trace_point_idx"), plan);
            assertFalse(plan.contains("Seq Scan on geo_trace g"), plan);
        }
    }

    @Test
    void matchesABruteForceSearchNearestFirst(TestDatabase db) throws SQLException {
        for (double radius : new double[] {300, 2_000, 8_000}) {
            List<String> expected = bruteForce(db, radius, null);
            assertFalse(expected.isEmpty(), "no target within " + radius + " m: the test data is wrong");
            try (Connection c = db.connect()) {
                assertEquals(expected, Sql.column(c,
                        "SELECT name FROM tmi.near(" + LAT + ", " + LON + ", " + radius + ")"));
            }
        }
    }

    /**
     * Circles that cross the antimeridian or hold a pole need more than one plain box of degrees:
     * targets on both sides of longitude 180 and all around the north pole are found, and only those.
     */
    @Test
    void findsAcrossTheAntimeridianAndAroundAPole(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT setseed(0.17)");
            st.execute("""
                    INSERT INTO tmi.target (target_id, kind, name, ext_key)
                    SELECT md5('far' || i)::uuid, 'buoy', 'buoy ' || i, 'F' || i FROM generate_series(1, 2000) i""");
            // 1,000 around (10, 180) on both sides of the antimeridian, 1,000 within 0.3 degrees of the pole
            st.execute("""
                    INSERT INTO tmi.geo_trace (target_id, ts, lat, lon)
                    SELECT md5('far' || i)::uuid, timestamptz '2026-11-27 00:00Z',
                           CASE WHEN i <= 1000 THEN 10 + (random() - 0.5) * 0.6 ELSE 90 - random() * 0.3 END,
                           CASE WHEN i <= 1000 THEN ((180 + (random() - 0.5) * 0.6 + 180)::numeric % 360 - 180)::float8
                                ELSE random() * 360 - 180 END
                      FROM generate_series(1, 2000) i""");
            st.execute("ANALYZE tmi.geo_trace");
        }
        double[][] centres = {{10, 179.95}, {10, -179.95}, {10.1, 180}, {10, -180}, {89.9, 45}, {89.95, -170}, {90, 0}};
        double[] radii = {3_000, 15_000, 25_000};
        for (double[] centre : centres) {
            for (double radius : radii) {
                List<String> expected = bruteForce(db, centre[0], centre[1], radius, "buoy");
                try (Connection c = db.connect()) {
                    assertEquals(expected, Sql.column(c, "SELECT name FROM tmi.near(" + centre[0] + ", " + centre[1]
                            + ", " + radius + ", 'buoy')"), "centre " + centre[0] + ", " + centre[1] + ", radius " + radius);
                }
            }
        }
        List<String> across = bruteForce(db, 10, 179.95, 15_000, "buoy");
        try (Connection c = db.connect()) {
            Set<String> west = new HashSet<>(Sql.column(c, "SELECT t.name FROM tmi.target t JOIN tmi.geo_trace g USING (target_id)"
                    + " WHERE t.kind = 'buoy' AND g.lon < 0"));
            assertTrue(across.stream().anyMatch(west::contains) && !across.stream().allMatch(west::contains),
                    "the circle at the antimeridian holds targets on both sides: " + across.size());
        }
        assertTrue(bruteForce(db, 90, 0, 25_000, "buoy").size() > 500, "the circle at the pole holds most targets around it");
    }

    @Test
    void filtersByKindAndFreshness(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertEquals(bruteForce(db, 3_000, "bike"),
                    Sql.column(c, "SELECT name FROM tmi.near(" + LAT + ", " + LON + ", 3000, 'bike')"));
            // every latest position is at 09:00: nothing is newer than 10:00
            assertEquals(List.of(), Sql.column(c,
                    "SELECT name FROM tmi.near(" + LAT + ", " + LON + ", 3000, since => '2026-11-27 10:00Z')"));
            assertEquals(bruteForce(db, 3_000, null), Sql.column(c,
                    "SELECT name FROM tmi.near(" + LAT + ", " + LON + ", 3000, since => '2026-11-27 09:00Z')"));
        }
    }

    @Test
    void rejectsBadArguments(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            assertFails(c, "22023", "SELECT * FROM tmi.near(91, 0, 100)");
            assertFails(c, "22023", "SELECT * FROM tmi.near(0, 181, 100)");
            assertFails(c, "22023", "SELECT * FROM tmi.near(0, 0, 0)");
            assertFails(c, "22023", "SELECT * FROM tmi.near(0, 0, 'Infinity')");
            assertFails(c, "22004", "SELECT * FROM tmi.near(NULL, 0, 100)");
        }
    }

    /** Names of targets whose latest position is within radius, nearest first, computed in Java. */
    private static List<String> bruteForce(TestDatabase db, double radius, String kind) throws SQLException {
        return bruteForce(db, LAT, LON, radius, kind);
    }

    /** Names of targets whose latest position is within radius of (lat, lon), nearest first. */
    private static List<String> bruteForce(TestDatabase db, double lat, double lon, double radius, String kind)
            throws SQLException {
        record Hit(String name, double distance) {
        }
        List<Hit> hits = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("""
                     SELECT DISTINCT ON (g.target_id) t.name, t.kind, g.lat, g.lon
                       FROM tmi.geo_trace g JOIN tmi.target t USING (target_id)
                      ORDER BY g.target_id, g.ts DESC""")) {
            while (rs.next()) {
                double d = greatCircle(lat, lon, rs.getDouble(3), rs.getDouble(4));
                if (d <= radius && (kind == null || kind.equals(rs.getString(2)))) {
                    hits.add(new Hit(rs.getString(1), d));
                }
            }
        }
        hits.sort(Comparator.comparingDouble(Hit::distance));
        return hits.stream().map(Hit::name).toList();
    }

    private static double greatCircle(double lat1, double lon1, double lat2, double lon2) {
        double p1 = Math.toRadians(lat1);
        double p2 = Math.toRadians(lat2);
        double dp = p2 - p1;
        double dl = Math.toRadians(lon2 - lon1);
        double a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
        return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
    }
}
