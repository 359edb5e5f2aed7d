// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import io.tmidb.worker.connector.ConnectorScheduler;
import io.tmidb.worker.host.StoredLogicHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A worker whose password the server refuses stops those services with the remedy instead of retrying forever. */
@TmidbTest
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoginRefusedIT {

    @Test
    void servicesRefusedALoginStopAndSayWhatToFix(TestDatabase db) throws Exception {
        AtomicInteger logins = new AtomicInteger();
        BlockingQueue<LogRecord> severe = new LinkedBlockingQueue<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel() == Level.SEVERE) {
                    severe.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(Worker.class.getName());
        log.addHandler(capture);
        WorkerContext context = new WorkerContext(() -> {
            logins.incrementAndGet();
            return DriverManager.getConnection(db.cluster().jdbcUrl(db.name()), "postgres", "not-the-password");
        }, WorkerSettings.of(Map.of()));
        Worker worker = Worker.start(context, List.of(StoredLogicHost.mapping(), new ConnectorScheduler()));
        try {
            for (String service : List.of("mapping", "connectors")) {
                LogRecord r = severe.poll(30, TimeUnit.SECONDS);
                assertNotNull(r, "a SEVERE line for each service");
                assertTrue(r.getMessage().contains(": the database refused the login (SQLSTATE 28P01")
                        && r.getMessage().contains("Not retrying"), r.getMessage());
            }
            Thread.sleep(2000); // the supervisor would restart a failed service within half a second
            assertEquals(2, logins.get(), "one attempt per service, none after the refusal");
        } finally {
            log.removeHandler(capture);
            worker.close();
        }
    }
}
