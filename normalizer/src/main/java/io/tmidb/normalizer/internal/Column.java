// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scalar position inside the items (relative to each item) with its values in every sampled
 * item of every document (null where the item lacks it).
 *
 * @param order  the column's position among the item's columns (first seen first)
 * @param values per document, one value per item
 */
public record Column(Path path, int order, List<List<JsonNode>> values) {
    public static final int MAX_ITEMS = 200;
    public static final int MAX_COLUMNS = 250;
    private static final int MAX_DEPTH = 6;
    private static final int MAX_TUPLE = 4;

    /** The values of the first document. */
    public List<JsonNode> first() {
        return values.get(0);
    }

    /** The columns of the items, in the order first seen; at most {@link #MAX_COLUMNS}. */
    public static List<Column> of(ItemSet items, List<String> notes) {
        Map<Path, Integer> order = new LinkedHashMap<>();
        for (List<JsonNode> doc : items.perDoc()) {
            for (JsonNode item : sample(doc)) {
                walk(item, Path.ROOT, order, 0);
            }
        }
        if (order.size() > MAX_COLUMNS) {
            notes.add("sampled: the items have " + order.size() + " scalar values; the first " + MAX_COLUMNS + " are considered");
        }
        List<Column> cols = new ArrayList<>();
        for (Path p : order.keySet()) {
            if (cols.size() >= MAX_COLUMNS) {
                break;
            }
            List<List<JsonNode>> values = new ArrayList<>();
            for (List<JsonNode> doc : items.perDoc()) {
                List<JsonNode> v = new ArrayList<>();
                for (JsonNode item : sample(doc)) {
                    v.add(p.in(item));
                }
                values.add(v);
            }
            cols.add(new Column(p, cols.size(), values));
        }
        return cols;
    }

    /** At most {@link #MAX_ITEMS} items, evenly spread over the document. */
    public static List<JsonNode> sample(List<JsonNode> doc) {
        if (doc.size() <= MAX_ITEMS) {
            return doc;
        }
        List<JsonNode> s = new ArrayList<>(MAX_ITEMS);
        for (int i = 0; i < MAX_ITEMS; i++) {
            s.add(doc.get((int) ((long) i * doc.size() / MAX_ITEMS)));
        }
        return s;
    }

    private static void walk(JsonNode n, Path at, Map<Path, Integer> order, int depth) {
        if (order.size() > MAX_COLUMNS * 2 || depth > MAX_DEPTH || n == null) {
            return;
        }
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> walk(e.getValue(), at.member(e.getKey()), order, depth + 1));
        } else if (n.isArray()) {
            // an item's own rows are tuples (coordinates, positional records); longer arrays are lists, not values
            boolean positional = depth == 0;
            if (positional || n.size() <= MAX_TUPLE) {
                for (int i = 0; i < n.size() && i < MAX_COLUMNS; i++) {
                    walk(n.get(i), at.index(i), order, depth + 1);
                }
            }
        } else if (depth > 0) {
            order.putIfAbsent(at, order.size());
        }
    }
}
