// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.listener;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.endpoint.Services;
import io.tmidb.gateway.internal.query.Statements;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.query.QueryResult;
import io.tmidb.gateway.internal.query.Sql;
import io.tmidb.gateway.internal.request.Grammar;
import io.tmidb.gateway.internal.request.QueryString;
import io.tmidb.gateway.internal.error.ApiException;
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
        QueryResult r = services.db().run(caller, true, sql);
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
        QueryResult r = services.db().run(caller, true, sql);
        Responses.send(ctx, Responses.rows(r, 0, Negotiation.Shape.ARRAY, ""), ctx.method() == HandlerType.HEAD);
    }
}
