// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.normalizer.SuggestionException;
import io.tmidb.normalizer.SuggestionException.Code;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads a document into a bounded tree: a hostile document (huge, deeply nested, with a hundred
 * thousand keys) costs at most a fixed number of nodes. Arrays keep their first
 * {@link #ARRAY_SAMPLE} elements and objects their first {@link #OBJECT_SAMPLE} members (the rest
 * is read past, counted and reported in the notes); past {@link #NODE_BUDGET} nodes further
 * elements are skipped too. Nesting deeper than {@link #MAX_DEPTH} and documents above
 * {@link #MAX_BYTES} are refused.
 */
public final class DocumentReader {
    public static final int MAX_BYTES = 32 * 1024 * 1024;
    public static final int MAX_DEPTH = 64;
    public static final int ARRAY_SAMPLE = 2000;
    public static final int OBJECT_SAMPLE = 400;
    public static final int NODE_BUDGET = 400_000;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 1).build()).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final List<String> notes;
    private int nodes;
    private long skippedElements;
    private long skippedMembers;

    private DocumentReader(List<String> notes) {
        this.notes = notes;
    }

    /** Reads UTF-8 JSON bytes; what was sampled is added to {@code notes}. */
    public static JsonNode read(byte[] json, List<String> notes) throws SuggestionException {
        if (json.length > MAX_BYTES) {
            throw new SuggestionException(Code.TOO_LARGE, "the document has " + json.length + " bytes; suggestions read at most "
                    + MAX_BYTES + ": suggest from a smaller sample of the feed");
        }
        DocumentReader reader = new DocumentReader(notes);
        try (JsonParser p = FACTORY.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new SuggestionException(Code.NOT_JSON, "the document is empty");
            }
            JsonNode root = reader.value(p, first, 0);
            if (p.nextToken() != null) {
                throw new SuggestionException(Code.NOT_JSON, "the document has text after its JSON value");
            }
            reader.report();
            return root;
        } catch (StreamConstraintsException e) {
            throw tooDeep();
        } catch (IOException e) {
            throw new SuggestionException(Code.NOT_JSON, "the document is not UTF-8 JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException jp ? jp.getOriginalMessage() : e.getMessage()), e);
        }
    }

    public static JsonNode read(String json, List<String> notes) throws SuggestionException {
        return read(json.getBytes(StandardCharsets.UTF_8), notes);
    }

    private static SuggestionException tooDeep() {
        return new SuggestionException(Code.TOO_DEEP, "the document nests deeper than " + MAX_DEPTH
                + " levels; no feed item is that deep: suggest from the part that holds the items");
    }

    private JsonNode value(JsonParser p, JsonToken t, int depth) throws IOException, SuggestionException {
        if (depth > MAX_DEPTH) {
            throw tooDeep();
        }
        nodes++;
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                int kept = 0;
                for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if (kept < OBJECT_SAMPLE && nodes < NODE_BUDGET) {
                        o.set(name, value(p, v, depth + 1));
                        kept++;
                    } else {
                        p.skipChildren();
                        skippedMembers++;
                    }
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = NODES.arrayNode();
                int kept = 0;
                for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
                    if (kept < ARRAY_SAMPLE && nodes < NODE_BUDGET) {
                        a.add(value(p, n, depth + 1));
                        kept++;
                    } else {
                        p.skipChildren();
                        skippedElements++;
                    }
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? NODES.numberNode(p.getBigIntegerValue())
                        : NODES.numberNode(p.getLongValue());
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(p.getDoubleValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            default:
                return NODES.nullNode();
        }
    }

    private void report() {
        if (skippedElements > 0) {
            notes.add("sampled: " + skippedElements + " array elements beyond the first " + ARRAY_SAMPLE
                    + " of an array (or past " + NODE_BUDGET + " values) were not read");
        }
        if (skippedMembers > 0) {
            notes.add("sampled: " + skippedMembers + " object members beyond the first " + OBJECT_SAMPLE
                    + " of an object were not read");
        }
    }
}
