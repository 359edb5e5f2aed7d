// SPDX-License-Identifier: MIT
package io.tmidb.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates API views in the shape the schema-version generator emits ({@code api_v1.bike},
 * {@code api_v2.bike}, {@code api_v1.bike_obs}, writes through {@code api_v2.bike} and two functions),
 * so that tests of the listener access model and the gateway have versioned resources to serve.
 */
public final class ApiViews {
    private ApiViews() {
    }

    public static void create(Connection c) throws SQLException {
        try (InputStream in = ApiViews.class.getResourceAsStream("api_views.sql"); Statement st = c.createStatement()) {
            st.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
