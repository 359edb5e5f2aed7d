// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.endpoint;

import io.javalin.http.Context;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.plan.Planner;
import io.tmidb.gateway.internal.query.Database;
import io.tmidb.gateway.internal.query.Query;
import io.tmidb.gateway.internal.query.Sql;
import io.tmidb.gateway.internal.response.Reply;
import io.tmidb.gateway.internal.response.Responses;

import java.util.Map;

/**
 * {@code POST /ingest/<source>}: the webhook form of {@code tmi.ingest(source, payload)}, for devices
 * and third-party services that push their own JSON and cannot wrap it in the arguments object of
 * {@code POST /rpc/ingest}. The body, any JSON value, is the payload as sent; the path names the
 * source. It calls {@code tmi.ingest} itself rather than an {@code api_vN} function, so that a node
 * takes raw documents before its first schema version exists; the grants on {@code tmi.ingest}
 * decide who may (speakers and admins). Answers 201 with {@code {"raw_id": n}}: the document is
 * stored when the answer is sent (mapping it follows later, see {@code tmi.status()}).
 */
public final class IngestEndpoint {
    /** What {@code tmi.ingest} raises for a document over {@code tmi.max_payload_bytes}. */
    private static final String PAYLOAD_TOO_LARGE = "54000";
    private final Services services;

    public IngestEndpoint(Services services) {
        this.services = services;
    }

    /** The source is the path's last segment; the path {@code /ingest/} has an empty one, which the database refuses. */
    public void handle(Context ctx) {
        Caller caller = services.caller(ctx);
        Services.requireJson(ctx);
        String payload = Planner.document(services.body(ctx));
        String source = ctx.pathParamMap().getOrDefault("source", "");
        Reply reply;
        try {
            reply = services.db().run(caller, services.consistency(ctx), false, new Query(statement(source, payload), null),
                    r -> new Reply(201, Map.of(), r.body(), Responses.JSON));
        } catch (ApiException e) {
            // over tmi.max_payload_bytes (the database's limit, below the gateway's max-body): the
            // document is too large, which HTTP says with 413, not a server failure
            throw PAYLOAD_TOO_LARGE.equals(e.code()) ? e.withStatus(413) : e;
        }
        Responses.send(ctx, reply, false);
    }

    private static Sql statement(String source, String payload) {
        // the payload goes over as text and becomes jsonb in the database, so numbers keep every digit
        return new Sql().add("SELECT NULL, 1, json_build_object('raw_id', tmi.ingest(CAST(").param(source)
                .add(" AS text), CAST(").param(payload).add(" AS jsonb)))::text" + Database.SESSION_COLUMNS);
    }
}
