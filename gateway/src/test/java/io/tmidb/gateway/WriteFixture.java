// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.TestDatabase;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A gateway over the test kit's API views plus the write tests' tables (write_tables.sql), made
 * before the gateway starts so that its schema cache has them; requests as a speaker; and a way
 * to look at the database itself, to check what a request left behind.
 */
final class WriteFixture implements AutoCloseable {
    private final GatewayFixture gw;
    private final TestDatabase db;
    private final String auth;

    private WriteFixture(GatewayFixture gw, TestDatabase db) {
        this.gw = gw;
        this.db = db;
        this.auth = "Bearer " + gw.speaker();
    }

    static WriteFixture start(TestDatabase db) throws SQLException {
        return start(db, java.util.Map.of());
    }

    /** The same, with gateway settings added to (or replacing) the test settings. */
    static WriteFixture start(TestDatabase db, java.util.Map<String, String> settings) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            st.execute(sql());
        }
        return new WriteFixture(GatewayFixture.attach(Gateway.start(GatewayFixture.settings(db, settings)), db), db);
    }

    GatewayFixture gateway() {
        return gw;
    }

    /** A request as a speaker with a JSON body (or none), plus {@code headers}. */
    HttpResponse<String> send(String method, String path, String body, String... headers) {
        List<String> h = new ArrayList<>(List.of("Authorization", auth, "Content-Type", "application/json"));
        h.addAll(List.of(headers));
        return gw.send(method, path, body, h.toArray(String[]::new));
    }

    /** The first column of every row of {@code query}, as text (null stays null), read as the superuser. */
    List<String> column(String query) {
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

    /** The rows of api_v2.note matching {@code where}, as {@code id:body:made_by} (NULL spelled out), by id. */
    List<String> notes(String where) {
        return column("SELECT id || ':' || body || ':' || coalesce(made_by, 'NULL') FROM api_v2.note WHERE " + where + " ORDER BY id");
    }

    void execute(String sql) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    @Override
    public void close() {
        gw.close();
    }

    private static String sql() {
        try (InputStream in = WriteFixture.class.getResourceAsStream("write_tables.sql")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
