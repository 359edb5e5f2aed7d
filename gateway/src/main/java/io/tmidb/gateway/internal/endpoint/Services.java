// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.auth.JwtAuthenticator;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.query.Database;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.schema.ApiSchemas;
import io.tmidb.gateway.internal.schema.Relation;
import io.tmidb.gateway.internal.schema.SchemaCache;

import java.util.Collections;
import java.util.Locale;
import java.util.Optional;

/** What every endpoint uses: the schema cache, the database and the authenticator. */
public record Services(SchemaCache schemas, Database db, JwtAuthenticator auth) {
    public Caller caller(Context ctx) {
        return auth.authenticate(ctx.header("Authorization"), ctx.header("apikey"));
    }

    /** The relation, reloading the cache once if it is not (yet) known; 404 PGRST205 otherwise. */
    public Relation relation(ApiSchemas snapshot, String schema, String name) {
        Optional<Relation> r = snapshot.relation(schema, name);
        if (r.isEmpty()) {
            r = schemas.reloadIfStale().relation(schema, name);
        }
        return r.orElseThrow(() -> new ApiException(404, "PGRST205",
                "Could not find the table '" + schema + "." + name + "' in the schema cache", null,
                "Resources are the kinds of schema version " + schema + "; the OpenAPI document at / lists them."));
    }

    /** The request's preferences, from every Prefer header it has. */
    public static Preferences preferences(Context ctx) {
        return Preferences.parse(Collections.list(ctx.req().getHeaders("Prefer")));
    }

    /**
     * {@code Prefer: handling=strict, max-affected=N}: more rows written (or returned by a
     * function) than N is 400 PGRST124, and the transaction is rolled back.
     */
    public static void checkMaxAffected(Long max, long rows) {
        if (max != null && rows > max) {
            throw new ApiException(400, "PGRST124", "Query result exceeds max-affected preference constraint",
                    "The query affects " + rows + " rows", null);
        }
    }

    /** Requests with a body must send JSON. */
    public static void requireJson(Context ctx) {
        String type = ctx.header("Content-Type");
        if (type != null && !type.toLowerCase(Locale.ROOT).contains("json")) {
            throw new ApiException(415, "PGRST107", "The media type of the request body is not supported: " + type, null,
                    "Send Content-Type: application/json.");
        }
    }
}
