// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.plan.CallPlan;
import io.tmidb.gateway.internal.plan.Planner;
import io.tmidb.gateway.internal.query.Statements;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.request.RangeHeader;
import io.tmidb.gateway.internal.request.RequestParams;
import io.tmidb.gateway.internal.response.Reply;
import io.tmidb.gateway.internal.response.Responses;
import io.tmidb.gateway.internal.schema.Routine;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET|HEAD|POST /rpc/<function>}: calls a function of the API schema with named arguments
 * (query parameters for GET and HEAD, a JSON object for POST). GET and HEAD run read-only, so a
 * function that writes fails there with 405, as in PostgREST; so does a POST call of a STABLE or
 * IMMUTABLE function, which may therefore go to a read replica. A POST call of a VOLATILE function
 * and the checks on its result (one object asked for, max-affected) are one transaction on the primary.
 */
public final class RpcEndpoint {
    /** {@code pg_proc.provolatile} of a VOLATILE function. */
    private static final char VOLATILE = 'v';
    private final Services services;

    public RpcEndpoint(Services services) {
        this.services = services;
    }

    public void handle(Context ctx) {
        Caller caller = services.caller(ctx);
        boolean head = ctx.method() == HandlerType.HEAD;
        boolean get = ctx.method() == HandlerType.GET || head;
        String name = ctx.pathParam("function");
        Services.Routines found = services.routines(ctx.header(get ? "Accept-Profile" : "Content-Profile"), name);
        String schema = found.schema();
        List<Routine> overloads = found.overloads();
        Set<String> argNames = new HashSet<>();
        Set<String> jsonArgs = new HashSet<>();
        for (Routine r : overloads) {
            argNames.addAll(r.argNames());
            for (int i = 0; i < r.argNames().size(); i++) {
                if (r.argTypes().get(i).equals("json") || r.argTypes().get(i).equals("jsonb")) {
                    jsonArgs.add(r.argNames().get(i));
                }
            }
        }
        if (!get) {
            Services.requireJson(ctx);
        }
        RequestParams params = get ? RequestParams.parseCall(ctx.queryString(), argNames) : RequestParams.parse(ctx.queryString(), Set.of());
        Map<String, String> args = get ? params.args() : Planner.args(services.body(ctx), jsonArgs);
        if (overloads.isEmpty()) {
            throw new ApiException(404, "PGRST202", "Could not find the function " + schema + "." + name
                    + "(" + String.join(", ", args.keySet()) + ") in the schema cache", null,
                    "Functions of " + schema + " are listed under /rpc/ in the OpenAPI document at /.");
        }
        Preferences prefer = Services.preferences(ctx);
        Negotiation.Shape shape = Negotiation.accept(ctx.header("Accept"));
        CallPlan plan = Planner.call(overloads, schema + "." + name, args, params,
                RangeHeader.parse(ctx.header("Range")), prefer.count(), shape.stripNulls());
        Long maxAffected = prefer.strictMaxAffected();
        boolean rows = plan.read() != null && plan.routine().returnsSet();
        if (maxAffected != null && !rows) {
            throw new ApiException(400, "PGRST128",
                    "Function must return SETOF or TABLE when max-affected preference is used with handling=strict", null, null);
        }
        String applied = prefer.applied(Preferences.Target.CALL);
        ctx.header("Content-Profile", schema);
        // a STABLE or IMMUTABLE function writes nothing: called by POST too it runs read-only (as in PostgREST), on a replica if any
        boolean readOnly = get || plan.routine().volatility() != VOLATILE;
        Reply reply = services.db().run(caller, services.consistency(ctx), readOnly, Statements.call(plan), r -> {
            Services.checkMaxAffected(maxAffected, r.rows());
            if (plan.routine().returnsVoid()) {
                return Responses.noContent(applied);
            }
            return rows ? Responses.rows(r, plan.read().offset(), shape, applied) : Responses.value(r, applied);
        });
        Responses.send(ctx, reply, head);
    }
}
