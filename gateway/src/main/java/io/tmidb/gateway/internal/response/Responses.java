// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.plan.WritePlan;
import io.tmidb.gateway.internal.query.QueryResult;
import io.tmidb.gateway.internal.request.Negotiation;
import io.tmidb.gateway.internal.request.Preferences;

import java.util.LinkedHashMap;
import java.util.Map;

/** Writes responses as PostgREST does: JSON bodies, {@code Content-Range}, 200/206/416 for reads, errors in one shape. */
public final class Responses {
    public static final String JSON = "application/json; charset=utf-8";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ANSWERED = "tmidb.answered";

    private Responses() {
    }

    /** A read's rows: status and Content-Range from the window and the total (when counted); 406 unless one row when one is asked for. */
    public static Reply rows(QueryResult r, long offset, Negotiation.Shape shape, String applied) {
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
        Map<String, String> headers = headers(range, applied);
        return new Reply(status, headers, shape.singular() ? single(r) : r.body(), shape.contentType());
    }

    /** A function that returns {@code void}: 204, no body. */
    public static Reply noContent(String applied) {
        return new Reply(204, headers(null, applied), null, null);
    }

    /** A value a function returned, as it is. */
    public static Reply value(QueryResult r, String applied) {
        return new Reply(200, headers(null, applied), r.body(), JSON);
    }

    /**
     * A mutation, as PostgREST answers it: 201 for inserts (200 for an upsert that only updated),
     * PUT 201/200 with the row or 204, PATCH and DELETE 200 with the rows or 204; Content-Range
     * tells the count of rows written when counted. One object asked for but not exactly one row
     * written: 406 PGRST116 (the caller rolls the write back).
     */
    public static Reply written(WritePlan.Kind kind, QueryResult r, Preferences prefer, boolean upsertMerge,
                                Negotiation.Shape shape, String applied) {
        String body = r.body();
        if (kind == WritePlan.Kind.PUT) {
            if (r.rows() != 1) {
                throw new ApiException(400, "PGRST115", "Payload values do not match URL in primary key column(s)", null, null);
            }
        } else if (shape.singular()) {
            body = single(r);
        }
        String total = prefer.countsRows() ? Long.toString(r.rows()) : "*";
        String range = switch (kind) {
            case UPDATE -> r.rows() > 0 ? "0-" + (r.rows() - 1) + "/" + total : "*/" + total;
            case INSERT, DELETE -> "*/" + total;
            case PUT -> null;
        };
        boolean inserted = r.inserted() == null || r.inserted() > 0;
        int status = switch (kind) {
            case INSERT -> upsertMerge && !inserted ? 200 : 201;
            case PUT -> inserted ? 201 : 200;
            case UPDATE, DELETE -> 200;
        };
        if (!prefer.representation()) {
            return new Reply(kind == WritePlan.Kind.INSERT ? status : 204, headers(range, applied), null, null);
        }
        return new Reply(status, headers(range, applied), body, shape.contentType());
    }

    private static Map<String, String> headers(String range, String applied) {
        Map<String, String> h = new LinkedHashMap<>();
        if (range != null) {
            h.put("Content-Range", range);
        }
        if (!applied.isEmpty()) {
            h.put("Preference-Applied", applied);
        }
        return h;
    }

    /** Sends the reply; a HEAD request gets its status and headers only. */
    public static void send(Context ctx, Reply reply, boolean head) {
        reply.headers().forEach(ctx::header);
        ctx.status(reply.status());
        if (reply.contentType() != null) {
            ctx.contentType(reply.contentType());
        }
        if (reply.body() != null && !head) {
            ctx.result(reply.body());
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
            throw new ApiException(406, "PGRST116", "Cannot coerce the result to a single JSON object",
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
