// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.plan.Planner;
import io.tmidb.gateway.internal.plan.ReadPlan;
import io.tmidb.gateway.internal.plan.WritePlan;
import io.tmidb.gateway.internal.plan.WritePlanner;
import io.tmidb.gateway.internal.query.Statements;
import io.tmidb.gateway.internal.query.WriteStatements;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.request.RangeHeader;
import io.tmidb.gateway.internal.request.RequestParams;
import io.tmidb.gateway.internal.response.Reply;
import io.tmidb.gateway.internal.response.Responses;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.Set;

/**
 * {@code GET|HEAD|POST|PUT|PATCH|DELETE /<relation>}: the rows of an API view, read or written.
 * A write and the checks on its result (one object asked for, max-affected) are one transaction.
 */
public final class ResourceEndpoint {
    private final Services services;

    public ResourceEndpoint(Services services) {
        this.services = services;
    }

    public void handle(Context ctx) {
        handle(ctx, ctx.pathParam("relation"));
    }

    /** A request for the resource {@code name}, on a route that does not name it in a path parameter. */
    public void handle(Context ctx, String name) {
        Caller caller = services.caller(ctx);
        HandlerType method = ctx.method();
        boolean read = method == HandlerType.GET || method == HandlerType.HEAD;
        Relation relation = services.relation(ctx.header(read ? "Accept-Profile" : "Content-Profile"), name);
        String schema = relation.schema();
        Negotiation.Shape shape = Negotiation.accept(ctx.header("Accept"));
        Preferences prefer = Services.preferences(ctx);
        RequestParams params = RequestParams.parse(ctx.queryString(), Set.of());
        ctx.header("Content-Profile", schema);
        if (read) {
            ReadPlan plan = Planner.read(relation, params, RangeHeader.parse(ctx.header("Range")), prefer.count(), shape.stripNulls());
            String applied = prefer.applied(Preferences.Target.READ);
            Reply reply = services.db().run(caller, services.consistency(ctx), true, Statements.read(plan), r -> Responses.rows(r, plan.offset(), shape, applied));
            Responses.send(ctx, reply, method == HandlerType.HEAD);
            return;
        }
        WritePlan plan = plan(ctx, services, method, relation, params, prefer, shape);
        Preferences.Target target = target(plan);
        Long maxAffected = target == Preferences.Target.UPDATE || target == Preferences.Target.DELETE ? prefer.strictMaxAffected() : null;
        boolean merge = plan.conflict() != null && plan.conflict().merge();
        Reply reply = services.db().run(caller, services.consistency(ctx), false, WriteStatements.write(plan), r -> {
            Services.checkMaxAffected(maxAffected, r.rows());
            return Responses.written(plan.kind(), r, prefer, merge, shape, prefer.applied(target));
        });
        Responses.send(ctx, reply, false);
    }

    private static WritePlan plan(Context ctx, Services services, HandlerType method, Relation relation, RequestParams params, Preferences prefer,
                                  Negotiation.Shape shape) {
        if (method == HandlerType.DELETE) {
            return WritePlanner.delete(relation, params, prefer, shape.stripNulls());
        }
        Services.requireJson(ctx);
        String body = services.body(ctx);
        if (method == HandlerType.POST) {
            return WritePlanner.insert(relation, params, body, prefer, shape.stripNulls());
        }
        if (method == HandlerType.PUT) {
            return WritePlanner.put(relation, params, body, prefer, shape.stripNulls());
        }
        return WritePlanner.update(relation, params, body, prefer, shape.stripNulls());
    }

    /** Which preferences the write honours, for Preference-Applied. */
    private static Preferences.Target target(WritePlan plan) {
        return switch (plan.kind()) {
            case INSERT -> plan.conflict() != null ? Preferences.Target.UPSERT_INSERT : Preferences.Target.INSERT;
            case PUT -> Preferences.Target.PUT;
            case UPDATE -> Preferences.Target.UPDATE;
            case DELETE -> Preferences.Target.DELETE;
        };
    }
}
