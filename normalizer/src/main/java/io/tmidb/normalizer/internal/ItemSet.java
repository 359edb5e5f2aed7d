// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The items of the documents: the array {@code iterate} walks (or the document itself), found in
 * the first document as the array holding the most items of one shape, outside any other array
 * (so an item's own arrays, such as a GeoJSON point's coordinates, are never taken for the items).
 *
 * @param base     where the feed body starts ({@code $.data} in a connector's envelope, else {@code $})
 * @param array    the array's path, or null when each document is one item
 * @param perDoc   the items of each document, in document order
 * @param confidence how clearly this array stands out
 * @param reason   one line saying why
 */
public record ItemSet(Path base, Path array, List<List<JsonNode>> perDoc, double confidence, String reason) {

    /** The rule's {@code iterate} text. */
    public String iterate() {
        return array == null ? base.toString() : array + "[*]";
    }

    public List<JsonNode> first() {
        return perDoc.get(0);
    }

    public int total() {
        return perDoc.stream().mapToInt(List::size).sum();
    }

    /** Finds the items of these documents. */
    public static ItemSet find(List<JsonNode> docs) {
        JsonNode d0 = docs.get(0);
        Path base = isEnvelope(d0) ? Path.ROOT.member("data") : Path.ROOT;
        List<Candidate> found = new ArrayList<>();
        collect(base.in(d0), base, found, 0);
        Candidate best = null;
        for (Candidate c : found) {
            if (best == null || c.score > best.score + 1e-9 || (Math.abs(c.score - best.score) < 1e-9 && c.path.depth() < best.path.depth())) {
                best = c;
            }
        }
        if (best == null) {
            return new ItemSet(base, null, perDoc(docs, base, false), 0.6,
                    "no array of objects or rows: each document is one item");
        }
        double second = 0;
        for (Candidate c : found) {
            if (c != best) {
                second = Math.max(second, c.score);
            }
        }
        double margin = found.size() < 2 ? 1.0 : 1.0 - second / Math.max(best.score, 1e-9);
        double conf = Math.min(1.0, best.uniformity * (best.containers >= 2 ? 1.0 : 0.7) * (0.6 + 0.4 * Math.max(margin, 0.5)));
        String shape = best.rows ? "rows (arrays)" : "objects";
        return new ItemSet(base, best.path, perDoc(docs, best.path, true), conf,
                "array of " + best.containers + " " + shape + ", " + Math.round(best.uniformity * 100)
                        + " % of one shape" + (found.size() > 1 ? ", the largest of " + found.size() + " candidate arrays" : ""));
    }

    private record Candidate(Path path, int containers, boolean rows, double uniformity, double score) {
    }

    /** A connector's envelope: the fetched body is under {@code data}. */
    static boolean isEnvelope(JsonNode d) {
        return d != null && d.isObject() && d.has("data") && d.has("fetched_at") && (d.has("connector") || d.has("url"));
    }

    private static List<List<JsonNode>> perDoc(List<JsonNode> docs, Path at, boolean array) {
        List<List<JsonNode>> out = new ArrayList<>();
        for (JsonNode d : docs) {
            JsonNode n = at.in(d);
            List<JsonNode> items = new ArrayList<>();
            if (array && n != null && n.isArray()) {
                n.forEach(items::add);
            } else if (!array && n != null && !n.isNull()) {
                items.add(n);
            }
            out.add(items);
        }
        return out;
    }

    private static void collect(JsonNode n, Path at, List<Candidate> found, int depth) {
        if (n == null || depth > 8) {
            return;
        }
        if (n.isArray()) {
            int objects = 0;
            int arrays = 0;
            for (JsonNode e : n) {
                if (e.isObject()) {
                    objects++;
                } else if (e.isArray()) {
                    arrays++;
                }
            }
            int containers = Math.max(objects, arrays);
            if (containers > 0) {
                double uniformity = containers / (double) n.size() * keyAgreement(n, objects >= arrays);
                found.add(new Candidate(at, containers, arrays > objects, uniformity,
                        Math.log(1 + containers) * uniformity));
            }
            return;
        }
        if (n.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                collect(e.getValue(), at.member(e.getKey()), found, depth + 1);
            }
        }
    }

    /** How much the elements share their members (objects) or their length (rows), 0..1. */
    private static double keyAgreement(JsonNode array, boolean objects) {
        JsonNode first = null;
        double sum = 0;
        int n = 0;
        for (JsonNode e : array) {
            if (objects ? !e.isObject() : !e.isArray()) {
                continue;
            }
            if (first == null) {
                first = e;
            }
            if (objects) {
                int common = 0;
                for (Iterator<String> k = e.fieldNames(); k.hasNext(); ) {
                    if (first.has(k.next())) {
                        common++;
                    }
                }
                sum += common / (double) Math.max(1, Math.max(e.size(), first.size()));
            } else {
                sum += e.size() == first.size() ? 1 : 0.5;
            }
            if (++n >= 200) {
                break;
            }
        }
        return n == 0 ? 0 : 0.5 + 0.5 * sum / n;
    }
}
