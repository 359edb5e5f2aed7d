// SPDX-License-Identifier: MIT
package io.tmidb.stored;

import io.tmidb.stored.alarm.Alarms;
import io.tmidb.stored.mapping.Pipeline;
import io.tmidb.stored.schema.SchemaVersions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The functions tmi.use_host('pljava') binds (LANGUAGE java): each runs the same code as the
 * worker host on the calling transaction's connection. Ids arrive as array literals.
 */
public final class PlJavaEntry {
    private PlJavaEntry() {
    }

    public static void processRaw(String ids) throws SQLException {
        Pipeline.processRaw(connection(), Ids.fromArrayLiteral(ids));
    }

    public static void applySchema(String ids) throws SQLException {
        SchemaVersions.apply(connection(), Ids.fromArrayLiteral(ids));
    }

    public static void evaluateAlarms(String ids) throws SQLException {
        Alarms.evaluate(connection(), Ids.fromArrayLiteral(ids));
    }

    public static String preview(String rule, String payload) throws SQLException {
        return Pipeline.preview(connection(), rule, payload);
    }

    private static Connection connection() throws SQLException {
        return DriverManager.getConnection("jdbc:default:connection");
    }
}
