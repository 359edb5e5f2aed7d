// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.connector.format.Format;

import java.time.Clock;
import java.time.Instant;

/**
 * One poll of a connector: fetch, then convert the body into the document that lands in
 * raw_bucket. Writes nothing; the worker stores the outcome, {@code tmictl connector test} prints it.
 */
public final class Poller {
    private final Fetcher fetcher;
    private final Clock clock;

    public Poller(Fetcher fetcher, Clock clock) {
        this.fetcher = fetcher;
        this.clock = clock;
    }

    /**
     * What a poll produced.
     *
     * @param document the raw_bucket payload, or null when the server answered 304 Not Modified
     */
    public record Outcome(Instant fetchedAt, int httpStatus, String contentType, ObjectNode document,
                          String etag, String lastModified) {
        public boolean notModified() {
            return document == null;
        }
    }

    /** Fetches and converts; a body invalid for the connector's format is a failure, not a document. */
    public Outcome poll(ConnectorSpec spec) throws FetchException, InterruptedException {
        Instant fetchedAt = clock.instant();
        FetchResult r = fetcher.fetch(spec);
        if (r.notModified()) {
            return new Outcome(fetchedAt, r.status(), r.contentType(), null, spec.etag(), spec.lastModified());
        }
        JsonNode data = Format.named(spec.format()).convert(r.body(), r.contentType(), spec.options());
        return new Outcome(fetchedAt, r.status(), r.contentType(), document(spec, r, fetchedAt, data), r.etag(), r.lastModified());
    }

    /**
     * The raw_bucket payload: {@code {"connector_id", "connector", "url", "fetched_at",
     * "http_status", "content_type", "data"}}, where data is the converted body.
     */
    static ObjectNode document(ConnectorSpec spec, FetchResult r, Instant fetchedAt, JsonNode data) {
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("connector_id", spec.id());
        doc.put("connector", spec.name());
        doc.put("url", r.uri().toString());
        doc.put("fetched_at", fetchedAt.toString());
        doc.put("http_status", r.status());
        doc.put("content_type", r.contentType());
        doc.set("data", data);
        return doc;
    }
}
