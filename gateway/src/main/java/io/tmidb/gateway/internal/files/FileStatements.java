// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.files;

import io.tmidb.gateway.internal.query.Database;
import io.tmidb.gateway.internal.query.Sql;

import java.time.Duration;

/**
 * The statements of the file endpoints, each run as the caller: the front door functions decide
 * who may write, row-level security on {@code tmi.file_attachment} who may read. Each answers one
 * JSON document in the shape {@link Database#run} reads.
 */
final class FileStatements {
    private FileStatements() {
    }

    static Sql begin(String target, String name, String contentType, Long size, String sha256, String bucket, Duration ttl) {
        return new Sql().add("SELECT NULL, 1, row_to_json(u)::text" + Database.SESSION_COLUMNS
                        + " FROM tmi.begin_upload(CAST(").param(target).add(" AS uuid), CAST(").param(name)
                .add(" AS text), CAST(").param(contentType).add(" AS text), CAST(").param(size == null ? null : size.toString())
                .add(" AS bigint), CAST(").param(sha256).add(" AS text), CAST(").param(bucket)
                .add(" AS text), CAST(").param(ttl.toMillis() + " milliseconds").add(" AS interval)) u");
    }

    static Sql pending(String upload) {
        return new Sql().add("SELECT NULL, 1, row_to_json(u)::text" + Database.SESSION_COLUMNS
                + " FROM tmi.pending_upload(CAST(").param(upload).add(" AS uuid)) u");
    }

    /** Attaches the pending upload's object, whose size and SHA-256 the store verified. */
    static Sql complete(String upload, long size, String sha256) {
        return new Sql().add("SELECT NULL, 1, row_to_json(f)::text" + Database.SESSION_COLUMNS
                + " FROM tmi.complete_upload(CAST(").param(upload).add(" AS uuid), CAST(").param(Long.toString(size))
                .add(" AS bigint), CAST(").param(sha256).add(" AS text)) f");
    }

    static Sql cancel(String upload) {
        return new Sql().add("SELECT NULL, 1, json_build_object('cancelled', tmi.cancel_upload(CAST(").param(upload)
                .add(" AS uuid)))::text" + Database.SESSION_COLUMNS);
    }

    static Sql attach(String target, String name, String contentType, long size, String sha256, String bucket, String key) {
        return new Sql().add("SELECT NULL, 1, row_to_json(f)::text" + Database.SESSION_COLUMNS
                        + " FROM tmi.attach_file(CAST(").param(target).add(" AS uuid), CAST(").param(name)
                .add(" AS text), CAST(").param(contentType).add(" AS text), CAST(").param(Long.toString(size))
                .add(" AS bigint), CAST(").param(sha256).add(" AS text), CAST(").param(bucket)
                .add(" AS text), CAST(").param(key).add(" AS text)) f");
    }

    /** The file if the caller may read it: zero rows otherwise, whether it exists or not. */
    static Sql visible(String file) {
        return new Sql().add("SELECT NULL, count(*), coalesce(json_agg(f), '[]')::text" + Database.SESSION_COLUMNS
                + " FROM tmi.file_attachment f WHERE f.file_id = CAST(").param(file).add(" AS bigint)");
    }

    static Sql detach(String file) {
        return new Sql().add("SELECT NULL, 1, row_to_json(f)::text" + Database.SESSION_COLUMNS
                + " FROM tmi.detach_file(CAST(").param(file).add(" AS bigint)) f");
    }
}
