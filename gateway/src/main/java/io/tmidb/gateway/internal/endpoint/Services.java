// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.auth.JwtAuthenticator;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.query.Consistency;
import io.tmidb.gateway.internal.query.Database;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.schema.ApiSchemas;
import io.tmidb.gateway.internal.request.Body;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.schema.Relation;
import io.tmidb.gateway.internal.schema.Routine;
import io.tmidb.gateway.internal.schema.SchemaCache;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What every endpoint uses: the schema cache, the database, the authenticator, the largest body
 * accepted and what makes a client read its own writes on replicas.
 */
public record Services(SchemaCache schemas, Database db, JwtAuthenticator auth, long maxBody, ReadYourWrites readYourWrites) {
    public Caller caller(Context ctx) {
        return auth.authenticate(ctx.header("Authorization"), ctx.header("apikey"));
    }

    /** What the request's reads must see and where its write is told (see {@link ReadYourWrites}). */
    public Consistency consistency(Context ctx) {
        return readYourWrites.of(ctx);
    }

    /**
     * The relation a request addresses: in the profile header's version, else in the newest
     * version that has it. Reloads the cache once if it is not (yet) known; 404 PGRST205 otherwise.
     */
    public Relation relation(String profileHeader, String name) {
        ApiSchemas snapshot = schemas.get();
        Optional<Relation> r = relation(snapshot, profileHeader, name);
        if (r.isEmpty()) {
            snapshot = schemas.reloadIfStale();
            r = relation(snapshot, profileHeader, name);
        }
        ApiSchemas last = snapshot;
        return r.orElseThrow(() -> {
            String schema = Negotiation.profile(last, profileHeader, v -> false);
            return new ApiException(404, "PGRST205", "Could not find the table '" + schema + "." + name + "' in the schema cache", null,
                    Negotiation.unnamed(profileHeader)
                            ? "No API version has a resource " + name + "; the OpenAPI document at / lists the resources."
                            : "Resources of " + schema + " are listed in the OpenAPI document at /.");
        });
    }

    /**
     * The overloads of a function a request addresses, chosen as {@link #relation} chooses the
     * version; empty when no version has it (the caller answers 404 PGRST202 with the arguments).
     */
    public Routines routines(String profileHeader, String name) {
        ApiSchemas snapshot = schemas.get();
        String schema = Negotiation.profile(snapshot, profileHeader, v -> !snapshot.routines(v, name).isEmpty());
        List<Routine> overloads = snapshot.routines(schema, name);
        if (overloads.isEmpty()) {
            ApiSchemas fresh = schemas.reloadIfStale();
            schema = Negotiation.profile(fresh, profileHeader, v -> !fresh.routines(v, name).isEmpty());
            overloads = fresh.routines(schema, name);
        }
        return new Routines(schema, overloads);
    }

    /** The overloads of a function in one schema version. */
    public record Routines(String schema, List<Routine> overloads) {
    }

    private static Optional<Relation> relation(ApiSchemas snapshot, String profileHeader, String name) {
        String schema = Negotiation.profile(snapshot, profileHeader, v -> snapshot.relation(v, name).isPresent());
        return snapshot.relation(schema, name);
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

    /** The request body as text: within max-body, valid UTF-8 (see {@link Body}). */
    public String body(Context ctx) {
        return Body.read(ctx, maxBody);
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
