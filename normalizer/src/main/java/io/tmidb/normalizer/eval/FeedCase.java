// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A feed shape with its answer: documents (newest first) and the rule a person would write for
 * them. Stored as {@code {"name": ..., "documents": [...], "rule": {...}}}: the evaluation set in
 * {@code normalizer/eval/} and the generated training corpus use the same form.
 */
public record FeedCase(String name, List<JsonNode> documents, ObjectNode rule) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public List<String> documentTexts() {
        List<String> out = new ArrayList<>();
        documents.forEach(d -> out.add(d.toString()));
        return out;
    }

    public static FeedCase read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        List<JsonNode> docs = new ArrayList<>();
        n.get("documents").forEach(docs::add);
        return new FeedCase(n.path("name").asText(file.getFileName().toString()), docs, (ObjectNode) n.get("rule"));
    }

    /** Every {@code *.json} case in a directory, by file name. */
    public static List<FeedCase> readAll(Path dir) throws IOException {
        List<FeedCase> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                out.add(read(f));
            }
        }
        return out;
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", name);
        documents.forEach(o.putArray("documents")::add);
        o.set("rule", rule);
        return o;
    }
}
