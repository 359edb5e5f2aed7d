// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.listener;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.endpoint.Services;
import io.tmidb.gateway.internal.query.Consistency;
import io.tmidb.gateway.internal.query.Statements;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.query.QueryResult;
import io.tmidb.gateway.internal.query.Sql;
import io.tmidb.gateway.internal.request.Grammar;
import io.tmidb.gateway.internal.request.QueryString;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.error.SqlStates;
import io.tmidb.gateway.internal.response.Responses;

import java.util.Map;

/**
 * The per-listener endpoints ({@code GET} and {@code HEAD}): {@code /api/<listener>} (its subscribed targets with only its
 * fields) and {@code /api/<listener>/<kind>/obs?since=...&limit=...} (history). The database
 * decides: {@code tmi.listener_targets} and {@code tmi.listener_obs} admit the listener named by
 * the token's claims, speakers and admins, and refuse anyone else (42501).
 */
public final class ListenerEndpoint {
    private final Services services;

    public ListenerEndpoint(Services services) {
        this.services = services;
    }

    public void targets(Context ctx) {
        Caller caller = services.caller(ctx);
        Sql sql = new Sql().add("WITH pgrst_source AS (SELECT * FROM tmi.listener_targets(CAST(")
                .param(ctx.pathParam("listener")).add(" AS text))) SELECT NULL, " + Statements.aggregate(false));
        QueryResult r = run(caller, services.consistency(ctx), sql, ctx.pathParam("listener"));
        Responses.send(ctx, Responses.rows(r, 0, Negotiation.Shape.ARRAY, ""), ctx.method() == HandlerType.HEAD);
    }

    public void observations(Context ctx) {
        Caller caller = services.caller(ctx);
        String since = "-infinity";
        String limit = "1000";
        for (Map.Entry<String, String> e : QueryString.parse(ctx.queryString())) {
            switch (e.getKey()) {
                case "since" -> since = e.getValue();
                case "limit" -> limit = Long.toString(Grammar.nonNegative("limit", e.getValue()));
                default -> throw ApiException.parse("unknown parameter '" + e.getKey() + "'", "the history takes since and limit");
            }
        }
        Sql sql = new Sql().add("WITH pgrst_source AS (SELECT * FROM tmi.listener_obs(CAST(").param(ctx.pathParam("listener"))
                .add(" AS text), CAST(").param(ctx.pathParam("kind")).add(" AS text), CAST(").param(since)
                .add(" AS timestamptz), CAST(").param(limit).add(" AS integer))) SELECT NULL, " + Statements.aggregate(false));
        QueryResult r = run(caller, services.consistency(ctx), sql, ctx.pathParam("listener"));
        Responses.send(ctx, Responses.rows(r, 0, Negotiation.Shape.ARRAY, ""), ctx.method() == HandlerType.HEAD);
    }

    /**
     * Runs a listener function. The database looks the listener up before it checks the caller, so
     * an unknown name (42704) and someone else's listener (42501) would answer 400 and 401/403 and
     * tell a stranger which names exist. Both become one answer, with the status the database's
     * 42501 has for this caller; only speakers and admins, who may read every listener, still learn
     * that a name is unknown. Whether the caller is one is the database's own rule,
     * {@code tmi.caller_is_speaker()}.
     */
    private QueryResult run(Caller caller, Consistency consistency, Sql sql, String listener) {
        try {
            return services.db().run(caller, consistency, true, sql);
        } catch (ApiException e) {
            if (!e.code().equals("42501") && !(e.code().equals("42704") && !callerIsSpeaker(caller, consistency))) {
                throw e;
            }
            throw new ApiException(SqlStates.status("42501", caller.authenticated()), "42501",
                    "permission denied for listener \"" + listener + "\"", null,
                    "The listener does not exist, or the token is not for it: use a token from tmi.issue_token(listener).",
                    caller.authenticated() ? Map.of() : Map.of("WWW-Authenticate", "Bearer"));
        }
    }

    private boolean callerIsSpeaker(Caller caller, Consistency consistency) {
        Sql sql = new Sql().add("WITH pgrst_source AS (SELECT tmi.caller_is_speaker() AS speaker) SELECT NULL, " + Statements.aggregate(false));
        try {
            return services.db().run(caller, consistency, true, sql).body().contains("true");
        } catch (ApiException e) {
            return false;
        }
    }
}
