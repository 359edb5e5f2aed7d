// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

import static io.tmidb.testkit.Sql.assertFails;
import static io.tmidb.testkit.Sql.scalar;
import static io.tmidb.testkit.Sql.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Threshold alarms on generated series: crossing, flapping, staying over; the same on both hosts. */
@TmidbTest
class AlarmsIT {

    @ParameterizedTest
    @EnumSource(Host.class)
    void crossingRaisesAndHysteresisClears(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("crossing_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            String boiler = scalar(c, "SELECT tmi.add_target('Boiler', 'boiler', '{}', 'B1')");
            scalar(c, "SELECT tmi.add_alarm('boiler', 'temp', '>', 90, clear_at => 85, severity => 'critical')");
            series(c, boiler, 80, 95, 92, 88, 84, 91);
            running.awaitIdle();
            // raised at 95, held through 92 and 88 (above clear_at), cleared at 84, raised again at 91
            assertEquals(List.of("cleared 95 10:01 10:04", "active 91 10:05 -"), alarms(c));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void flappingAroundTheThresholdKeepsOneAlarm(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("flapping_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            String boiler = scalar(c, "SELECT tmi.add_target('Boiler', 'boiler', '{}', 'B1')");
            scalar(c, "SELECT tmi.add_alarm('boiler', 'temp', '>', 90, clear_at => 85)");
            series(c, boiler, 89, 91, 89, 91, 89.5, 90.5, 89);
            running.awaitIdle();
            assertEquals(List.of("active 91 10:01 -"), alarms(c));
            // without clear_at the same series opens and closes at every crossing
            TestDatabase d2 = db.sibling("flapping_plain_" + host.name().toLowerCase(Locale.ROOT), false);
            try (Host.Running r2 = host.start(d2); Connection c2 = d2.connect()) {
                String b2 = scalar(c2, "SELECT tmi.add_target('Boiler', 'boiler', '{}', 'B1')");
                scalar(c2, "SELECT tmi.add_alarm('boiler', 'temp', '>', 90)");
                series(c2, b2, 89, 91, 89, 91, 89.5, 90.5, 89);
                r2.awaitIdle();
                assertEquals(List.of("cleared 91 10:01 10:02", "cleared 91 10:03 10:04", "cleared 90.5 10:05 10:06"), alarms(c2));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void forDurationRequiresTheConditionToHold(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("duration_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            String tank = scalar(c, "SELECT tmi.add_target('Tank', 'tank', '{}', 'T1')");
            scalar(c, "SELECT tmi.add_alarm('" + tank + "', 'level', '<', 20, for_duration => '3 minutes')");
            // below at 10:00-10:01, back up at 10:02 (reset), below from 10:03 on: raised at 10:06
            seriesOf(c, tank, "level", 15, 12, 25, 18, 17, 16, 15, 14);
            running.awaitIdle();
            assertEquals(List.of("active 15 10:06 -"), alarms(c));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void lifecycleActiveAcknowledgedCleared(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("lifecycle_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            String boiler = scalar(c, "SELECT tmi.add_target('Boiler', 'boiler', '{}', 'B1')");
            scalar(c, "SELECT tmi.add_alarm('boiler', 'temp', '>=', 100)");
            series(c, boiler, 100);
            running.awaitIdle();
            String id = scalar(c, "SELECT alarm_id FROM tmi.alarm_event");
            st.execute("SELECT tmi.ack_alarm(" + id + ")");
            assertFails(c, "55000", "SELECT tmi.ack_alarm(" + id + ")");
            assertFails(c, "42704", "SELECT tmi.ack_alarm(999999)");
            st.execute("SELECT tmi.observe('" + boiler + "', '2026-11-27 11:00Z', '{\"temp\": 99}')");
            running.awaitIdle();
            assertEquals("cleared", scalar(c, "SELECT state FROM tmi.alarm_event WHERE alarm_id = " + id));
            assertEquals(List.of("alarm.active", "alarm.acknowledged", "alarm.cleared"), Sql.column(c,
                    "SELECT event_type FROM tmi.events_since(0, 1000) WHERE event_type LIKE 'alarm.%' ORDER BY event_id"));
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void badAlarmDefinitionsAreRefused(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("bad_alarm_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect()) {
            assertFails(c, "22023", "SELECT tmi.add_alarm('boiler', 'temp', '>>', 90)");
            assertFails(c, "22023", "SELECT tmi.add_alarm('boiler', 'temp', '>', 90, clear_at => 95)");
            assertFails(c, "22023", "SELECT tmi.add_alarm('boiler', 'temp', '<', 10, clear_at => 5)");
            assertFails(c, "22023", "SELECT tmi.add_alarm('Boiler Room', 'temp', '>', 90)");
            assertFails(c, "42704", "SELECT tmi.add_alarm('00000000-0000-0000-0000-000000000000', 'temp', '>', 90)");
            assertFails(c, "22023", "SELECT tmi.add_alarm('boiler', 'temp', '>', 90, for_duration => '-1 minute')");
            assertFails(c, "22023", "SELECT tmi.add_alarm('boiler', 'temp', '>', 90, severity => 'panic')");
            assertFails(c, "22004", "SELECT tmi.add_alarm('boiler', NULL, '>', 90)");
        }
    }

    @ParameterizedTest
    @EnumSource(Host.class)
    void aNewRuleEvaluatesEachTargetsLatestReadingAndClearsAtClearAt(Host host, TestDatabase db) throws Exception {
        TestDatabase d = db.sibling("existing_" + host.name().toLowerCase(Locale.ROOT), false);
        try (Host.Running running = host.start(d); Connection c = d.connect(); Statement st = c.createStatement()) {
            String low = scalar(c, "SELECT tmi.add_target('Tank 1', 'tank', '{}', 'T1')");
            String full = scalar(c, "SELECT tmi.add_target('Tank 2', 'tank', '{}', 'T2')");
            seriesOf(c, low, "level", 1, 2);       // latest: 2, below the threshold
            seriesOf(c, full, "level", 1, 9);      // latest: 9, an earlier reading was below
            scalar(c, "SELECT tmi.add_alarm('tank', 'level', '<', 3, clear_at => 5)");
            running.awaitIdle();
            assertEquals(List.of("T1 active 2"), Sql.column(c, "SELECT t.ext_key || ' ' || a.state || ' ' || a.value"
                    + " FROM tmi.alarm_event a JOIN tmi.target t USING (target_id)"));
            // the clear boundary is inclusive: a reading of exactly 5 clears
            st.execute("SELECT tmi.observe('" + low + "', '2026-11-27 10:05Z', '{\"level\": 4.9}')");
            st.execute("SELECT tmi.observe('" + low + "', '2026-11-27 10:06Z', '{\"level\": 5}')");
            running.awaitIdle();
            assertEquals("cleared 10:06", scalar(c, "SELECT state || ' ' || to_char(cleared_at AT TIME ZONE 'UTC', 'HH24:MI')"
                    + " FROM tmi.alarm_event"));
            // evaluate_existing => false waits for new readings
            scalar(c, "SELECT tmi.add_alarm('tank', 'level', '>', 8, evaluate_existing => false)");
            running.awaitIdle();
            assertEquals(1, scalarLong(c, "SELECT count(*) FROM tmi.alarm_event"));
            assertFails(c, "22023", "SELECT tmi.add_alarm('tank', 'level', '>=', 8, clear_at => 8)");
            assertFails(c, "22004", "SELECT tmi.add_alarm('tank', 'level', '>', 8, evaluate_existing => NULL)");
        }
    }

    /** temp values one minute apart from 10:00. */
    private static void series(Connection c, String target, double... values) throws SQLException {
        seriesOf(c, target, "temp", values);
    }

    private static void seriesOf(Connection c, String target, String field, double... values) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (int i = 0; i < values.length; i++) {
                st.execute("SELECT tmi.observe('" + target + "', timestamptz '2026-11-27 10:00Z' + interval '" + i + " minutes',"
                        + " jsonb_build_object('" + field + "', " + values[i] + "))");
            }
        }
    }

    /** state, value, raised and cleared time (HH:MI), per alarm in raise order. */
    private static List<String> alarms(Connection c) throws SQLException {
        return Sql.column(c, "SELECT state || ' ' || value || ' ' || to_char(raised_at AT TIME ZONE 'UTC', 'HH24:MI') || ' '"
                + " || coalesce(to_char(cleared_at AT TIME ZONE 'UTC', 'HH24:MI'), '-') FROM tmi.alarm_event ORDER BY raised_at");
    }
}
