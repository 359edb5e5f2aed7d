// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared LISTEN loop against a real server: stopped and started again, and refusing a login. */
@TmidbTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListenLoopIT {

    @Test
    void itListensAgainAfterTheServerRestarts(TestDatabase db) throws Exception {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        AtomicInteger connections = new AtomicInteger();
        ListenLoop loop = ListenLoop.named("restart-test").listen("restart_test").opener(() -> open(db, db.cluster().superuserPassword()))
                .pauses(Duration.ofMillis(100), Duration.ofSeconds(1)).build();
        Thread thread = loop.start((c, wakeups) -> {
            got.add("connected " + connections.incrementAndGet());
            while (!wakeups.stopping()) {
                for (PGNotification n : wakeups.await(Duration.ofSeconds(1))) {
                    got.add(n.getParameter());
                }
            }
        });
        try {
            assertEquals("connected 1", got.poll(30, TimeUnit.SECONDS));
            notify(db, "before");
            assertEquals("before", got.poll(30, TimeUnit.SECONDS));

            db.cluster().stop();
            db.cluster().start();

            assertEquals("connected 2", got.poll(60, TimeUnit.SECONDS), "the loop connected again by itself");
            notify(db, "after");
            assertEquals("after", got.poll(30, TimeUnit.SECONDS), "and listens on the new connection");
            assertTrue(thread.isAlive());
        } finally {
            loop.close();
            thread.join(10_000);
        }
        assertTrue(!thread.isAlive(), "close() ends the loop");
    }

    @Test
    void aRefusedLoginStopsTheLoopWithItsRemedy(TestDatabase db) {
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger bodies = new AtomicInteger();
        ListenLoop loop = ListenLoop.named("login-test").listen("login_test").opener(() -> {
            attempts.incrementAndGet();
            return open(db, "not-the-password");
        }).pauses(Duration.ofMillis(10), Duration.ofMillis(10)).build();
        LoginRefusedException e = assertThrows(LoginRefusedException.class, () -> loop.run((c, w) -> bodies.incrementAndGet()));
        assertEquals("28P01", e.getCause().getSQLState());
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().startsWith("login-test: the database refused the login (SQLSTATE 28P01"), e.getMessage());
        assertTrue(e.getMessage().contains("Not retrying"), e.getMessage());
        assertEquals(1, attempts.get(), "no retry");
        assertEquals(0, bodies.get());
    }

    @Test
    void otherFailuresAreRetriedWithBackoff(TestDatabase db) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        BlockingQueue<List<String>> got = new LinkedBlockingQueue<>();
        ListenLoop loop = ListenLoop.named("retry-test").listen("retry_test").opener(() -> open(db, db.cluster().superuserPassword()))
                .pauses(Duration.ofMillis(10), Duration.ofMillis(50)).build();
        Thread thread = loop.start((c, wakeups) -> {
            if (runs.incrementAndGet() < 3) {
                try (Statement st = c.createStatement()) {
                    st.execute("SELECT 1/0"); // 22012: this connection's work fails, the loop starts over
                }
            }
            notify(db, "ready");
            got.add(wakeups.await(Duration.ofSeconds(10)).stream().map(PGNotification::getParameter).toList());
            while (!wakeups.stopping()) {
                wakeups.await(Duration.ofSeconds(1));
            }
        });
        try {
            assertEquals(List.of("ready"), got.poll(30, TimeUnit.SECONDS));
            assertEquals(3, runs.get(), "two failed runs, then one that went on");
        } finally {
            loop.close();
            thread.join(10_000);
        }
    }

    private static Connection open(TestDatabase db, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", password);
        return DriverManager.getConnection(db.cluster().jdbcUrl(db.name()), PromptNotifications.configure(p));
    }

    private static void notify(TestDatabase db, String payload) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("NOTIFY restart_test, '" + payload + "'");
            st.execute("NOTIFY retry_test, '" + payload + "'");
        }
    }
}
