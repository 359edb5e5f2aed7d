// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.Node;
import io.tmidb.pgnotify.PromptNotifications;
import io.tmidb.testkit.TestDatabase;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * tmidb-worker's login on a test database, made as tmidbd makes it ({@link Node#prepareWorker}):
 * the tests' workers connect as {@value Node#WORKER}, with the rights a node's worker has.
 */
public final class WorkerLogin {
    private static final String PASSWORD = Cluster.newPassword();

    private WorkerLogin() {
    }

    /** Connections to {@code db} as the worker's login, as WorkerMain opens them. */
    public static ConnectionFactory of(TestDatabase db) throws SQLException {
        Node.prepareWorker(db.cluster(), db.name(), PASSWORD);
        String url = db.cluster().jdbcUrl(db.name());
        return () -> {
            Properties p = new Properties();
            p.setProperty("user", Node.WORKER);
            p.setProperty("password", PASSWORD);
            p.setProperty("ApplicationName", WorkerMain.APP_NAME);
            return DriverManager.getConnection(url, PromptNotifications.configure(p));
        };
    }
}
