// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import static io.tmidb.testkit.Sql.scalar;

/**
 * The data of the front-door tests: two air sensors (AQ-1, AQ-2) with 36 readings each, ten minutes
 * apart from 2026-11-20 00:00 UTC (pm10 = m, no2 = 100 + m) and a position each, and listener alice
 * subscribed to their pm10.
 */
final class AirSensors {
    private AirSensors() {
    }

    /** Writes the data; returns the id of AQ-1. */
    static String load(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            String sensor = scalar(c, "SELECT tmi.add_target('Jung-gu', 'air_sensor', '{}', 'AQ-1')");
            st.execute("SELECT tmi.add_target('Mapo', 'air_sensor', '{}', 'AQ-2')");
            st.execute("""
                    SELECT tmi.observe(tmi.target_id('air_sensor', k), timestamptz '2026-11-20 00:00Z' + m * interval '10 minutes',
                                       jsonb_build_object('pm10', m, 'no2', 100 + m), 37.56 + m / 10000.0, 126.97)
                      FROM unnest(ARRAY['AQ-1', 'AQ-2']) k, generate_series(0, 35) m""");
            st.execute("SELECT tmi.add_listener('alice'), tmi.subscribe('alice', 'air_sensor', ARRAY['pm10'])");
            return sensor;
        }
    }
}
