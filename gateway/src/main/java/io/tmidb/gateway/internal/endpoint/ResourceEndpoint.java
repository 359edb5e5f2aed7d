// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.plan.Planner;
import io.tmidb.gateway.internal.plan.ReadPlan;
import io.tmidb.gateway.internal.plan.WritePlan;
import io.tmidb.gateway.internal.query.QueryResult;
import io.tmidb.gateway.internal.query.Statements;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.request.RangeHeader;
import io.tmidb.gateway.internal.request.RequestParams;
import io.tmidb.gateway.internal.response.Responses;
import io.tmidb.gateway.internal.schema.ApiSchemas;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.Set;

/** {@code GET|HEAD|POST|PATCH|DELETE /<relation>}: the rows of an API view, read or written. */
public final class ResourceEndpoint {
    private final Services services;

    public ResourceEndpoint(Services services) {
        this.services = services;
    }

    public void handle(Context ctx) {
        Caller caller = services.caller(ctx);
        HandlerType method = ctx.method();
        boolean read = method == HandlerType.GET || method == HandlerType.HEAD;
        ApiSchemas snapshot = services.schemas().get();
        String schema = Negotiation.profile(snapshot, ctx.header(read ? "Accept-Profile" : "Content-Profile"));
        Relation relation = services.relation(snapshot, schema, ctx.pathParam("relation"));
        boolean singular = Negotiation.singular(ctx.header("Accept"));
        Preferences prefer = Preferences.parse(ctx.header("Prefer"));
        RequestParams params = RequestParams.parse(ctx.queryString(), Set.of());
        ctx.header("Content-Profile", schema);
        if (read) {
            ReadPlan plan = Planner.read(relation, params, RangeHeader.parse(ctx.header("Range")), prefer.countExact());
            QueryResult r = services.db().run(caller, true, Statements.read(plan));
            applied(ctx, prefer.applied(false));
            Responses.rows(ctx, r, plan.offset(), singular, method == HandlerType.HEAD);
            return;
        }
        WritePlan plan;
        if (method == HandlerType.DELETE) {
            plan = Planner.delete(relation, params, prefer.representation());
        } else {
            Services.requireJson(ctx);
            plan = method == HandlerType.POST
                    ? Planner.insert(relation, params, ctx.body(), prefer.representation())
                    : Planner.update(relation, params, ctx.body(), prefer.representation());
        }
        QueryResult r = services.db().run(caller, false, Statements.write(plan));
        applied(ctx, prefer.applied(true));
        Responses.written(ctx, r, method == HandlerType.POST, prefer.representation(), singular);
    }

    private static void applied(Context ctx, String applied) {
        if (!applied.isEmpty()) {
            ctx.header("Preference-Applied", applied);
        }
    }
}
