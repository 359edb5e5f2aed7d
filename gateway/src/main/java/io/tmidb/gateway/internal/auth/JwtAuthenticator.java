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
import io.tmidb.gateway.internal.error.ApiException;

import java.nio.charset.StandardCharsets;
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
 */
public final class JwtAuthenticator {
    private final JWTVerifier verifier;
    private final String anonRole;
    private final Caller anonymous;
    private final Set<String> roles;

    /** {@code anonListener}, when not empty, is put in the claims of requests without a token. */
    public JwtAuthenticator(byte[] secret, String anonRole, String anonListener, List<String> roles) {
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
        DecodedJWT jwt;
        try {
            jwt = verifier.verify(authorization.substring(7).trim());
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
                    "Issue tokens with tmi.issue_token(listener), or sign a role the gateway serves.",
                    Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        return new Caller(roleName, claims, true);
    }

    private static ApiException invalid(String code, String message) {
        return new ApiException(401, code, message, null,
                "Send 'Authorization: Bearer <jwt>' with a token from tmi.issue_token(listener, ttl).",
                Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"" + message + "\""));
    }
}
