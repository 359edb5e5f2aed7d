// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tmidb.files.FileException;
import io.tmidb.files.ObjectStore;
import io.tmidb.files.Presigned;
import io.tmidb.files.Stored;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.endpoint.Services;
import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.query.QueryResult;
import io.tmidb.gateway.internal.query.Sql;
import io.tmidb.gateway.internal.response.Reply;
import io.tmidb.gateway.internal.response.Responses;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

/**
 * Files (docs/files.md): the bytes go to the object store, never through the database or the
 * WebSocket. {@code POST /files} promises an upload and answers a presigned PUT;
 * {@code POST /files/uploads/<id>} checks the object (size, SHA-256) and attaches it;
 * {@code POST /files/stream} streams a body through the gateway for clients that cannot PUT
 * to a URL; {@code GET /files/<id>} answers a short-lived presigned GET (a redirect, or JSON on
 * {@code Accept: application/json}) to callers who may read the file's target;
 * {@code DELETE /files/<id>} deletes a file, {@code DELETE /files/uploads/<id>} an upload.
 * An object that fails its check is deleted and its upload dropped, so nothing is attached.
 * Completing an upload begun here takes one request to the store (its size and SHA-256) and one
 * statement ({@code tmi.complete_upload}, autocommitted like every write here); see {@link PendingUploads}.
 */
public final class FilesEndpoint {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Services services;
    private final ObjectStore store;
    private final FileRules rules;
    private final PendingUploads pending = new PendingUploads();

    /** {@code store} null: the gateway has no object store and every file request answers 503. */
    public FilesEndpoint(Services services, ObjectStore store, FileRules rules) {
        this.services = services;
        this.store = store;
        this.rules = rules;
    }

    public void begin(Context ctx) {
        ObjectStore s = store();
        Caller caller = services.caller(ctx);
        Services.requireJson(ctx);
        JsonNode req = object(services.body(ctx));
        String type = text(req, "content_type");
        Long size = number(req, "size");
        String sha256 = text(req, "sha256");
        rules.checkPresigned(type, size, ObjectStore.SINGLE_PUT_MAX);
        JsonNode up = write(ctx, caller, FileStatements.begin(text(req, "target_id"), text(req, "name"), type, size, sha256,
                s.config().bucket(), rules.uploadTtl()));
        pending.put(up);
        Presigned put = s.presignPut(up.get("object_key").asText(), type, size, sha256, rules.uploadTtl());
        ObjectNode out = JSON.createObjectNode();
        out.put("upload_id", up.get("upload_id").asText());
        out.put("object_key", up.get("object_key").asText());
        out.put("method", put.method());
        out.put("url", put.url());
        ObjectNode headers = out.putObject("headers");
        put.headers().forEach(headers::put);
        out.put("expires_at", put.expiresAt().toString());
        out.put("complete", "/files/uploads/" + up.get("upload_id").asText());
        send(ctx, 201, out);
    }

    public void complete(Context ctx) {
        ObjectStore s = store();
        Caller caller = services.caller(ctx);
        String upload = ctx.pathParam("upload");
        JsonNode begun = pending.get(upload);
        JsonNode up = begun != null ? begun : write(ctx, caller, FileStatements.pending(upload));
        Stored found;
        try {
            found = s.verify(up.get("object_key").asText(), up.get("size_bytes").asLong(), up.get("sha256").asText());
        } catch (FileException e) {
            if (e.code() == FileException.Code.SIZE_MISMATCH || e.code() == FileException.Code.HASH_MISMATCH) {
                drop(ctx, caller, upload, up);
            } else if (e.code() == FileException.Code.MISSING && begun != null) {
                // an upload given up through another gateway, or expired meanwhile, is refused as such, not as not uploaded yet
                write(ctx, caller, FileStatements.pending(upload));
            }
            throw FileErrors.of(e);
        }
        ObjectNode file = (ObjectNode) write(ctx, caller, FileStatements.complete(upload, found.size(), found.sha256()));
        pending.remove(upload);
        file.put("sha256_verified_by", found.sha256From());
        send(ctx, 201, file);
    }

    public void stream(Context ctx) {
        ObjectStore s = store();
        Caller caller = services.caller(ctx);
        long length = ctx.req().getContentLengthLong();
        if (length < 0) {
            throw new ApiException(411, FileErrors.LENGTH_REQUIRED, "Content-Length required", null,
                    "Send the body with its Content-Length: the gateway checks it against the limit before storing anything.");
        }
        String type = mediaType(ctx.header("Content-Type"));
        rules.check(type, length);
        JsonNode up = write(ctx, caller, FileStatements.begin(ctx.queryParam("target_id"), ctx.queryParam("name"), type, length,
                ctx.queryParam("sha256"), s.config().bucket(), rules.uploadTtl()));
        String upload = up.get("upload_id").asText();
        Stored got;
        try {
            got = s.upload(up.get("object_key").asText(), type, ctx.req().getInputStream(), length, up.get("sha256").asText(),
                    rules.uploadTtl());
        } catch (FileException | IOException e) {
            drop(ctx, caller, upload, up);
            throw e instanceof FileException f ? FileErrors.of(f)
                    : FileErrors.of(new FileException(FileException.Code.UNAVAILABLE, "the body could not be read: " + e.getMessage()));
        }
        attach(ctx, caller, up, got);
    }

    public void download(Context ctx) {
        ObjectStore s = store();
        Caller caller = services.caller(ctx);
        String id = fileId(ctx);
        QueryResult r = services.db().run(caller, services.consistency(ctx), true, FileStatements.visible(id));
        if (r.rows() == 0) {
            throw FileErrors.notFound(id);
        }
        JsonNode f = tree(r.body()).get(0);
        Presigned get;
        try {
            get = s.presignGet(f.get("bucket").asText(), f.get("object_key").asText(), f.get("name").asText(),
                    f.get("content_type").asText(), rules.downloadTtl());
        } catch (FileException e) {
            throw FileErrors.of(e);
        }
        ctx.header("Cache-Control", "no-store");
        String accept = ctx.header("Accept");
        if (accept != null && accept.toLowerCase(Locale.ROOT).contains("application/json")) {
            ObjectNode out = ((ObjectNode) f).deepCopy();
            out.put("url", get.url());
            out.put("expires_at", get.expiresAt().toString());
            send(ctx, 200, out);
        } else {
            ctx.status(307).header("Location", get.url());
        }
    }

    public void delete(Context ctx) {
        store();
        Caller caller = services.caller(ctx);
        send(ctx, 200, write(ctx, caller, FileStatements.detach(fileId(ctx))));
    }

    public void cancel(Context ctx) {
        store();
        Caller caller = services.caller(ctx);
        String upload = ctx.pathParam("upload");
        JsonNode cancelled = write(ctx, caller, FileStatements.cancel(upload));
        pending.remove(upload);
        send(ctx, 200, cancelled);
    }

    private void attach(Context ctx, Caller caller, JsonNode up, Stored verified) {
        ObjectNode file = (ObjectNode) write(ctx, caller, FileStatements.attach(up.get("target_id").asText(), up.get("name").asText(),
                up.get("content_type").asText(), verified.size(), verified.sha256(), up.get("bucket").asText(),
                up.get("object_key").asText()));
        file.put("sha256_verified_by", verified.sha256From());
        send(ctx, 201, file);
    }

    /**
     * An object that failed its check: its upload dropped (which queues the object for deletion, and
     * which only a speaker may do), then the object deleted now.
     */
    private void drop(Context ctx, Caller caller, String upload, JsonNode up) {
        write(ctx, caller, FileStatements.cancel(upload));
        pending.remove(upload);
        try {
            store.delete(up.get("bucket").asText(), up.get("object_key").asText());
        } catch (FileException ignored) {
            // the janitor deletes it from the trash the upload's cancellation queued it in
        }
    }

    private ObjectStore store() {
        if (store == null) {
            throw FileErrors.filesOff();
        }
        return store;
    }

    /** Every statement here writes, and nothing checks its answer before it commits: one autocommitted statement each. */
    private JsonNode write(Context ctx, Caller caller, Sql sql) {
        return tree(services.db().write(caller, services.consistency(ctx), sql).body());
    }

    private static String fileId(Context ctx) {
        String id = ctx.pathParam("file");
        if (!id.matches("[0-9]{1,18}")) {
            throw FileErrors.notFound(id);
        }
        return id;
    }

    /** The media type without parameters ({@code text/plain; charset=utf-8} is {@code text/plain}); none: octet-stream. */
    private static String mediaType(String header) {
        if (header == null || header.isBlank()) {
            return "application/octet-stream";
        }
        int semi = header.indexOf(';');
        return (semi < 0 ? header : header.substring(0, semi)).strip();
    }

    private static JsonNode object(String body) {
        JsonNode n = tree(body);
        if (!n.isObject()) {
            throw ApiException.body("a file is described by a JSON object", "expected {\"target_id\", \"name\", \"content_type\","
                    + " \"size\", \"sha256\"}, got " + n.getNodeType());
        }
        return n;
    }

    private static String text(JsonNode req, String member) {
        JsonNode v = req.get(member);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.body(member + " must be a string", member + " is " + v);
        }
        return v.asText();
    }

    private static Long number(JsonNode req, String member) {
        JsonNode v = req.get(member);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.body(member + " must be a whole number of bytes", member + " is " + v);
        }
        return v.asLong();
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw ApiException.body("the body is not JSON", e.getOriginalMessage());
        }
    }

    private static void send(Context ctx, int status, JsonNode body) {
        Responses.send(ctx, new Reply(status, Map.of(), body.toString(), Responses.JSON), false);
    }
}
