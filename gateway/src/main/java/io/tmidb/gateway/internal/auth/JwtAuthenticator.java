// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.Claim;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.tmidb.gateway.internal.error.ApiException;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Authenticates requests as PostgREST does: no {@code Authorization} header runs as the anonymous
 * role; {@code Bearer <jwt>} must be an HS256 token signed with the server's key, not expired,
 * whose {@code role} claim names one of the roles the gateway serves. Any other algorithm (and
 * {@code alg: none}) is refused.
 * <p>Supabase clients also send their key in an {@code apikey} header. As behind Supabase's API
 * gateway, that key is the token when there is no {@code Authorization} header; when both are
 * present, {@code Authorization} wins (it carries the signed-in user, the key only the app).
 * <p>A token with a {@code jti} claim was issued by {@code tmi.issue_token}: it is accepted only
 * while {@link Issued} knows it and it is not revoked (refused with 401 like an expired one). A
 * token without one was signed by whoever holds the key (a device or service signing its own, as
 * with PostgREST) or issued by tmiDB 0.1: it is accepted until it expires, for any role, since
 * refusing it would break such clients on upgrade; it cannot be revoked (rotating the key cuts off
 * all of them at once).
 * <p>A token that verified is remembered (by its text, up to {@value #CACHED_TOKENS} of them)
 * until it expires, as PostgREST's JWT cache does: checking the signature and parsing the claims
 * again on every request of a client that sends the same token costs more than the rest of the
 * gateway's own work for a small read. What can change meanwhile is still checked on every
 * request: expiry (the entry ends with the token) and revocation (the {@code jti} look-up).
 */
public final class JwtAuthenticator {
    /** Which token ids were issued by this database and are not revoked. */
    @FunctionalInterface
    public interface Issued {
        boolean accepts(String jti) throws SQLException;
    }

    static final int CACHED_TOKENS = 10_000;
    /** How long a verified token without {@code exp} is remembered: it stays valid, this only bounds the entry. */
    private static final Duration UNBOUNDED_TOKEN_ENTRY = Duration.ofMinutes(10);

    /** A token that verified: who it makes the caller, the id to check for revocation, when it expires (or null). */
    private record Verified(Caller caller, String jti, Instant expiresAt) {
    }

    private final Cache<String, Verified> verified = Caffeine.newBuilder()
            .maximumSize(CACHED_TOKENS)
            .expireAfter(Expiry.<String, Verified>creating((token, v) -> v.expiresAt() == null
                    ? UNBOUNDED_TOKEN_ENTRY : Duration.between(Instant.now(), v.expiresAt()).isNegative()
                    ? Duration.ZERO : Duration.between(Instant.now(), v.expiresAt())))
            .build();
    private final JWTVerifier verifier;
    private final String anonRole;
    private final Caller anonymous;
    private final Set<String> roles;
    private final Issued issued;

    /** {@code anonListener}, when not empty, is put in the claims of requests without a token. */
    public JwtAuthenticator(byte[] secret, String anonRole, String anonListener, List<String> roles, Issued issued) {
        this.issued = issued;
        this.verifier = JWT.require(Algorithm.HMAC256(secret)).build();
        this.anonRole = anonRole;
        this.roles = Set.copyOf(roles);
        ObjectNode claims = new ObjectMapper().createObjectNode().put("role", anonRole);
        if (!anonListener.isEmpty()) {
            claims.put("listener", anonListener);
        }
        this.anonymous = new Caller(anonRole, claims.toString(), false);
    }

    public Caller authenticate(String authorization) {
        return authenticate(authorization, null);
    }

    /** The caller of a request with these {@code Authorization} and {@code apikey} headers (either may be null). */
    public Caller authenticate(String authorization, String apikey) {
        if (authorization == null || authorization.isBlank()) {
            if (apikey == null || apikey.isBlank()) {
                return anonymous;
            }
            authorization = "Bearer " + apikey.trim();
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw invalid("PGRST301", "Expected an Authorization header of the form 'Bearer <jwt>'");
        }
        String token = authorization.substring(7).trim();
        Verified known = verified.getIfPresent(token);
        if (known == null) {
            known = verify(token);
            verified.put(token, known);
        }
        bound(known.jti());
        return known.caller();
    }

    private Verified verify(String token) {
        DecodedJWT jwt;
        try {
            jwt = verifier.verify(token);
        } catch (TokenExpiredException e) {
            throw invalid("PGRST303", "JWT expired");
        } catch (JWTVerificationException e) {
            throw invalid("PGRST301", "JWT cannot be verified: " + e.getClass().getSimpleName().replace("Exception", ""));
        }
        String claims = new String(Base64.getUrlDecoder().decode(jwt.getPayload()), StandardCharsets.UTF_8);
        Claim role = jwt.getClaim("role");
        String roleName = role.isMissing() || role.isNull() ? anonRole : role.asString();
        if (roleName == null || !roles.contains(roleName)) {
            throw new ApiException(401, "PGRST303", "JWT claims validation or parsing failed",
                    "The role claim must be one of " + roles.stream().sorted().toList(),
                    "Issue tokens with tmi.issue_token(role, subject, ttl), or sign a role the gateway serves.",
                    Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        return new Verified(new Caller(roleName, claims, true), jwt.getId(), jwt.getExpiresAtAsInstant());
    }

    /** Refuses an issued token ({@code jti} not null) that is revoked or unknown here (e.g. deleted with its listener). */
    private void bound(String jti) {
        if (jti == null) {
            return;
        }
        boolean accepted;
        try {
            accepted = issued.accepts(jti);
        } catch (SQLException e) {
            throw new ApiException(503, "PGRST001", "cannot check whether the token is revoked", e.getSQLState(),
                    "The database is unreachable; retry shortly.");
        }
        if (!accepted) {
            throw invalid("PGRST303", "JWT revoked");
        }
    }

    private static ApiException invalid(String code, String message) {
        return new ApiException(401, code, message, null,
                "Send 'Authorization: Bearer <jwt>' with a token from tmi.issue_token(role, subject, ttl).",
                Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"" + message + "\""));
    }
}
