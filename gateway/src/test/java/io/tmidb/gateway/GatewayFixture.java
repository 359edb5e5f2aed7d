// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.cluster.Node;
import io.tmidb.stored.schema.SchemaVersions;
import io.tmidb.testkit.ApiViews;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A real gateway on a free loopback port over a test database with the API views of the test kit,
 * and a real HTTP client to talk to it. Tokens are signed with the database's own secret.
 */
final class GatewayFixture implements AutoCloseable {
    final Gateway gateway;
    final byte[] secret;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private GatewayFixture(Gateway gateway, byte[] secret) {
        this.gateway = gateway;
        this.secret = secret;
    }

    /** Creates the API views, then starts a gateway on the database. */
    static GatewayFixture start(TestDatabase db) throws SQLException {
        byte[] secret;
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            ApiViews.create(c);
            try (ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
                rs.next();
                secret = rs.getBytes(1);
            }
        }
        return new GatewayFixture(Gateway.start(settings(db)), secret);
    }

    /**
     * Starts a gateway over the API views tmiDB itself generates: the schema versions the worker
     * would make of what was written so far (the database must have pending attributes).
     */
    static GatewayFixture startOverGeneratedViews(TestDatabase db) throws SQLException {
        return startOverGeneratedViews(db, Map.of());
    }

    /** The same with {@code more} settings, e.g. an object store's. */
    static GatewayFixture startOverGeneratedViews(TestDatabase db, Map<String, String> more) throws SQLException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            SchemaVersions.apply(c, Sql.column(c, "SELECT pending_id FROM tmi.schema_pending").stream()
                    .mapToLong(Long::parseLong).toArray());
            c.commit();
        }
        return attach(Gateway.start(settings(db, more)), db);
    }

    /** A client for a gateway the test started itself (and closes itself). */
    static GatewayFixture attach(Gateway gateway, TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
            rs.next();
            return new GatewayFixture(gateway, rs.getBytes(1));
        }
    }

    static GatewaySettings settings(TestDatabase db) {
        return settings(db, Map.of());
    }

    /**
     * The test settings with {@code more} added (or replacing them). The gateway logs in as the
     * node's authenticator role, as under tmidbd (here with the superuser's password).
     */
    static GatewaySettings settings(TestDatabase db, Map<String, String> more) {
        try {
            Node.prepareAuthenticator(db.cluster(), db.name(), password(db));
        } catch (SQLException e) {
            throw new IllegalStateException("could not prepare the authenticator role", e);
        }
        Map<String, String> all = new java.util.HashMap<>(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                "db-user", Node.AUTHENTICATOR, "db-password", password(db), "schema-refresh", "PT1S", "pool-size", "4"));
        all.putAll(more);
        return GatewaySettings.of(all);
    }

    /** The superuser's password. */
    static String password(TestDatabase db) {
        return db.cluster().superuserPassword();
    }

    String base() {
        return "http://127.0.0.1:" + gateway.port();
    }

    /** An HS256 token for the role (and listener, when not null) valid for {@code ttl}. */
    String token(String role, String listener, Duration ttl) {
        var b = JWT.create().withClaim("role", role).withExpiresAt(Instant.now().plus(ttl));
        if (listener != null) {
            b.withClaim("listener", listener);
        }
        return b.sign(Algorithm.HMAC256(secret));
    }

    String speaker() {
        return token("tmi_speaker", null, Duration.ofMinutes(5));
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) {
        return send(http, method, path, body, headers);
    }

    /**
     * Sends on a connection of its own: the server closes a connection after refusing an oversized
     * request (414, 431), and a pooled client may race that close with its next request.
     */
    HttpResponse<String> sendAlone(String method, String path, String body, String... headers) {
        return send(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), method, path, body, headers);
    }

    private HttpResponse<String> send(HttpClient client, String method, String path, String body, String... headers) {
        return sendRaw(client, method, path, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body),
                headers);
    }

    /** Sends a body as it is given: raw bytes (not necessarily UTF-8), or a stream sent chunked, without a length. */
    HttpResponse<String> sendRaw(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        return sendRaw(http, method, path, body, headers);
    }

    private HttpResponse<String> sendRaw(HttpClient client, String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + escape(path))).timeout(Duration.ofSeconds(30))
                .method(method, body);
        if (headers.length > 0) {
            b.headers(headers);
        }
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Percent-encodes the characters java.net.URI refuses, leaving the URL grammar's own characters alone. */
    static String escape(String path) {
        StringBuilder out = new StringBuilder();
        for (char ch : path.toCharArray()) {
            if ("<>{}\"|\\^` ".indexOf(ch) >= 0) {
                out.append(String.format("%%%02X", (int) ch));
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    @Override
    public void close() {
        gateway.close();
    }
}
