// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.gateway.internal.auth.JwtAuthenticator;
import io.tmidb.gateway.internal.error.ApiException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * How the authenticator treats a token's jti (issued and not revoked, unknown or revoked, absent),
 * and that a token it remembers is still refused once revoked or expired.
 */
class JwtAuthenticatorTest {
    private static final byte[] KEY = "a key of at least thirty-two characters!".getBytes(StandardCharsets.UTF_8);
    private static final Set<String> ISSUED = Set.of("0b6c1f3e-8a51-4f0e-9a57-2c1f6d1a7b01");

    private static JwtAuthenticator authenticator(JwtAuthenticator.Issued issued) {
        return new JwtAuthenticator(KEY, "tmi_anon", "", List.of("tmi_anon", "tmi_listener", "tmi_speaker", "tmi_admin"), issued);
    }

    private static String bearer(String jti) {
        var b = JWT.create().withClaim("role", "tmi_speaker").withExpiresAt(Instant.now().plusSeconds(60));
        if (jti != null) {
            b.withJWTId(jti);
        }
        return "Bearer " + b.sign(Algorithm.HMAC256(KEY));
    }

    @Test
    void anIssuedTokenIsAcceptedAndAnUnknownOrRevokedOneRefusedLikeAnExpiredOne() {
        JwtAuthenticator auth = authenticator(ISSUED::contains);
        assertEquals("tmi_speaker", auth.authenticate(bearer(ISSUED.iterator().next())).role());
        ApiException e = assertThrows(ApiException.class, () -> auth.authenticate(bearer("7d0c0a52-5b7e-4a38-8d1f-0c2b9e3f4a10")));
        assertEquals(401, e.status());
        assertEquals("PGRST303", e.code());
    }

    @Test
    void aTokenWithoutJtiIsAcceptedUntilItExpires() {
        JwtAuthenticator auth = authenticator(jti -> {
            throw new AssertionError("a token without jti is not looked up");
        });
        assertEquals("tmi_speaker", auth.authenticate(bearer(null)).role());
    }

    @Test
    void aFailedLookUpIsUnavailableNotUnauthorized() {
        JwtAuthenticator auth = authenticator(jti -> {
            throw new SQLException("connection refused", "08001");
        });
        assertEquals(503, assertThrows(ApiException.class, () -> auth.authenticate(bearer(ISSUED.iterator().next()))).status());
    }

    @Test
    void aRememberedTokenIsRefusedOnceRevoked() {
        Set<String> issued = ConcurrentHashMap.newKeySet();
        String jti = ISSUED.iterator().next();
        issued.add(jti);
        JwtAuthenticator auth = authenticator(issued::contains);
        String token = bearer(jti);
        assertEquals("tmi_speaker", auth.authenticate(token).role());
        assertEquals("tmi_speaker", auth.authenticate(token).role());
        issued.remove(jti);
        ApiException e = assertThrows(ApiException.class, () -> auth.authenticate(token));
        assertEquals("JWT revoked", e.getMessage());
    }

    @Test
    void aRememberedTokenIsRefusedOnceExpired() throws InterruptedException {
        JwtAuthenticator auth = authenticator(jti -> true);
        // exp is in whole seconds: the token lives until the next full second after this one
        Instant expires = Instant.now().plusSeconds(1);
        String token = "Bearer " + JWT.create().withClaim("role", "tmi_speaker").withExpiresAt(expires).sign(Algorithm.HMAC256(KEY));
        assertEquals("tmi_speaker", auth.authenticate(token).role());
        Thread.sleep(Math.max(0, expires.getEpochSecond() * 1000 + 1100 - System.currentTimeMillis()));
        ApiException e = assertThrows(ApiException.class, () -> auth.authenticate(token));
        assertEquals(401, e.status());
        assertEquals("JWT expired", e.getMessage());
    }
}
