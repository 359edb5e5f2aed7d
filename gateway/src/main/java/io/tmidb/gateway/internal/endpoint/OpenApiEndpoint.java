// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.error.SqlStates;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.response.OpenApi;
import io.tmidb.gateway.internal.schema.Grants;

import java.sql.SQLException;

/**
 * {@code GET /}: the OpenAPI document for the caller's role (the token's, else the anonymous
 * role), listing only what that role may use, so that it does not show strangers every name.
 */
public final class OpenApiEndpoint {
    private final Services services;

    public OpenApiEndpoint(Services services) {
        this.services = services;
    }

    public void handle(Context ctx) {
        Caller caller = services.caller(ctx);
        Negotiation.accept(ctx.header("Accept"));
        Grants grants;
        try {
            grants = Grants.of(services.db().dataSource(), caller.role());
        } catch (SQLException e) {
            throw SqlStates.from(e, caller.authenticated());
        }
        // the schema cache as the routes serve it (kept current by NOTIFY pgrst, schema-refresh and the
        // reload of a request for a name it lacks): reloading it for each document made every one wait
        // on reading the views' definitions (about 150 ms with a few kinds)
        ctx.contentType("application/openapi+json; charset=utf-8").result(OpenApi.document(services.schemas().get(), grants));
    }
}
