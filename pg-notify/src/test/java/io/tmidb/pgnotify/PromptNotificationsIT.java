// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A pgjdbc connection configured by {@link PromptNotifications}, against the real server. */
@TmidbTest
class PromptNotificationsIT {

    @Test
    void everyNotificationArrivesInOrderAndQueriesStillWork(TestDatabase db) throws Exception {
        try (Connection listener = open(db); Connection sender = db.connect();
             Statement ls = listener.createStatement(); Statement ss = sender.createStatement()) {
            ls.execute("LISTEN prompt_test");
            PGConnection pg = listener.unwrap(PGConnection.class);
            for (int round = 0; round < 50; round++) {
                sender.setAutoCommit(false);
                ss.execute("NOTIFY prompt_test, 'a" + round + "'");
                ss.execute("NOTIFY prompt_test, 'b" + round + "'");
                sender.commit();
                sender.setAutoCommit(true);
                if (round % 2 == 0) {
                    Thread.sleep(5); // sometimes both are buffered before the wait begins
                }
                assertEquals(List.of("a" + round, "b" + round), await(pg, 2), "round " + round);
                try (ResultSet rs = ls.executeQuery("SELECT " + round)) {
                    rs.next();
                    assertEquals(round, rs.getInt(1), "the connection answers queries between waits");
                }
            }
            assertEquals(0, pg.getNotifications(50).length, "nothing arrives twice");
        }
    }

    private static Connection open(TestDatabase db) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", db.cluster().superuserPassword());
        return DriverManager.getConnection(db.cluster().jdbcUrl(db.name()), PromptNotifications.configure(p));
    }

    private static List<String> await(PGConnection pg, int count) throws SQLException {
        List<String> got = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 10_000;
        while (got.size() < count && System.currentTimeMillis() < deadline) {
            for (PGNotification n : pg.getNotifications(1000)) {
                got.add(n.getParameter());
            }
        }
        return got;
    }
}
