// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.TestDatabase;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A gateway over the test kit's API views plus the write tests' tables (write_tables.sql), made
 * before the gateway starts so that its schema cache has them; and a way to look at the database
 * itself, to check what a request left behind.
 */
final class WriteFixture {
    private WriteFixture() {
    }

    static GatewayFixture start(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            st.execute(sql());
        }
        return GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db)), db);
    }

    /** The first column of every row of {@code query}, as text (null stays null), read as the superuser. */
    static List<String> column(TestDatabase db, String query) {
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(query, e);
        }
    }

    static void execute(TestDatabase db, String sql) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static String sql() {
        try (InputStream in = WriteFixture.class.getResourceAsStream("write_tables.sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
