// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import io.tmidb.pgnotify.PromptNotifications;
import io.tmidb.testkit.TestDatabase;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Superuser connections set up as tmiDB's services set up theirs for LISTEN (see {@link PromptNotifications}). */
final class ListeningConnections {
    private ListeningConnections() {
    }

    static Connection open(TestDatabase db) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", db.cluster().superuserPassword());
        p.setProperty("ApplicationName", "tmiDB-bench");
        return DriverManager.getConnection(db.cluster().jdbcUrl(db.name()), PromptNotifications.configure(p));
    }
}
