// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.query.QueryResult;

import java.util.Map;

/** Writes responses as PostgREST does: JSON bodies, {@code Content-Range}, 200/206/416 for reads, errors in one shape. */
public final class Responses {
    public static final String JSON = "application/json; charset=utf-8";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ANSWERED = "tmidb.answered";

    private Responses() {
    }

    /** A read's rows: status and Content-Range from the window and the total (when counted). */
    public static void rows(Context ctx, QueryResult r, long offset, boolean singular, boolean head) {
        String total = r.total() == null ? "*" : Long.toString(r.total());
        String range = r.rows() == 0 ? "*/" + total : offset + "-" + (offset + r.rows() - 1) + "/" + total;
        int status = 200;
        if (r.total() != null) {
            if (offset > 0 && offset >= r.total() && r.rows() == 0) {
                throw new ApiException(416, "PGRST103", "Requested range not satisfiable",
                        "An offset of " + offset + " was requested, but there are only " + r.total() + " rows.", null,
                        Map.of("Content-Range", "*/" + r.total()));
            }
            if (r.rows() < r.total()) {
                status = 206;
            }
        }
        ctx.header("Content-Range", range);
        body(ctx, status, singular ? single(r) : r.body(), head);
    }

    /** A mutation: 201 for inserts, 200 with the rows when asked for them, else 204. */
    public static void written(Context ctx, QueryResult r, boolean insert, boolean representation, boolean singular) {
        ctx.header("Content-Range", "*/" + (r.total() == null ? "*" : r.total()));
        if (representation) {
            body(ctx, insert ? 201 : 200, singular ? single(r) : r.body(), false);
        } else {
            ctx.status(insert ? 201 : 204);
        }
    }

    public static void body(Context ctx, int status, String json, boolean head) {
        ctx.status(status).contentType(JSON);
        if (!head) {
            ctx.result(json);
        }
    }

    public static void error(Context ctx, ApiException e) {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        e.headers().forEach(ctx::header);
        try {
            ctx.status(e.status()).contentType(JSON).result(MAPPER.writeValueAsString(e.body()));
        } catch (JsonProcessingException x) {
            throw new IllegalStateException(x);
        }
    }

    /** Whether an error body was written already (so the router's 404 page must not replace it). */
    public static boolean answered(Context ctx) {
        return ctx.attribute(ANSWERED) != null;
    }

    private static String single(QueryResult r) {
        if (r.rows() != 1) {
            throw new ApiException(406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                    "The result contains " + r.rows() + " rows", null);
        }
        try {
            JsonNode rows = MAPPER.readTree(r.body());
            return MAPPER.writeValueAsString(rows.get(0));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
