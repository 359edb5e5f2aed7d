// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.javalin.http.Context;
import io.javalin.http.Cookie;
import io.javalin.http.SameSite;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.query.Consistency;
import io.tmidb.gateway.internal.query.Lsn;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * Read-your-writes across read replicas (docs/scaling.md, "Read replicas"). A request that wrote is
 * answered with the primary's WAL position after its commit, in the header {@value #HEADER} and the
 * cookie {@value #COOKIE}; the gateway also remembers it for the request's token. A later read waits
 * for a replica that replayed the highest of: the position in its {@value #HEADER} header, in its
 * {@value #COOKIE} cookie, and the one remembered for its token. So a browser (the cookie), a client
 * with a token (on the same gateway) or any client that sends the header back (on any gateway of
 * the database) reads its own writes. Without replicas nothing is sent or remembered.
 */
public final class ReadYourWrites {
    public static final String HEADER = "Tmidb-Lsn";
    public static final String COOKIE = "tmidb_lsn";
    /**
     * How long a position is remembered and the cookie kept: a replica further behind than this has
     * lost its clients' writes from view anyway (its lag shows in tmictl status).
     */
    static final Duration KEPT = Duration.ofMinutes(10);
    private static final int TOKENS = 10_000;
    private final boolean replicas;
    private final Cache<String, Long> byToken = Caffeine.newBuilder().maximumSize(TOKENS).expireAfterWrite(KEPT).build();

    /** {@code replicas}: whether the gateway reads from read replicas. */
    public ReadYourWrites(boolean replicas) {
        this.replicas = replicas;
    }

    /** What the request's reads must see, and where its write is told to the client. */
    public Consistency of(Context ctx) {
        if (!replicas) {
            return Consistency.NONE;
        }
        String token = token(ctx);
        long after = Math.max(given(ctx.header(HEADER), "header " + HEADER), given(ctx.cookie(COOKIE), "cookie " + COOKIE));
        if (token != null) {
            after = Math.max(after, byToken.asMap().getOrDefault(token, 0L));
        }
        return new Consistency(after, lsn -> {
            String text = Lsn.format(lsn);
            ctx.header(HEADER, text);
            Cookie cookie = new Cookie(COOKIE, text);
            cookie.setPath("/");
            cookie.setHttpOnly(true);
            cookie.setSameSite(SameSite.LAX);
            cookie.setMaxAge((int) KEPT.toSeconds());
            ctx.cookie(cookie);
            if (token != null) {
                byToken.asMap().merge(token, lsn, Math::max);
            }
        });
    }

    /** The token that authenticates the request, as {@link io.tmidb.gateway.internal.auth.JwtAuthenticator} picks it; null without. */
    private static String token(Context ctx) {
        String authorization = ctx.header("Authorization");
        return authorization != null ? authorization : ctx.header("apikey");
    }

    private static long given(String value, String where) {
        if (value == null || value.isEmpty()) {
            return 0;
        }
        OptionalLong lsn = Lsn.parse(value);
        if (lsn.isEmpty()) {
            throw ApiException.parse("the " + where + " is not a WAL position: '" + value + "'",
                    "Send back the " + HEADER + " value a write was answered with, such as 0/3000148, or leave it out.");
        }
        return lsn.getAsLong();
    }
}
