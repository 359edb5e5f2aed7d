// SPDX-License-Identifier: MIT
package io.tmidb.normalizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A suggested mapping rule (in the format of docs/stored-logic.md) with the confidence and reason
 * of each element, notes on what was sampled or assumed, and whether it may be applied without a
 * person ({@link #applicable()}: every required element at or above {@link #AUTO_THRESHOLD}).
 */
public record Suggestion(ObjectNode rule, List<Element> elements, List<String> notes, String scorer) {
    /** The confidence every required element needs for {@code mapping => 'auto'} to apply a suggestion. */
    public static final double AUTO_THRESHOLD = 0.8;
    private static final ObjectMapper JSON = new ObjectMapper();

    public Suggestion {
        elements = List.copyOf(elements);
        notes = List.copyOf(notes);
    }

    /** The required elements below the threshold (empty: the suggestion may be applied unattended). */
    public List<Element> doubtful() {
        List<Element> out = new ArrayList<>();
        for (Element e : elements) {
            if (e.required() && e.confidence() < AUTO_THRESHOLD) {
                out.add(e);
            }
        }
        return out;
    }

    public boolean applicable() {
        return doubtful().isEmpty();
    }

    /** Why it may or may not be applied unattended, in one line. */
    public String verdict() {
        List<Element> d = doubtful();
        if (d.isEmpty()) {
            return "every required element has confidence >= " + AUTO_THRESHOLD;
        }
        StringBuilder b = new StringBuilder("below ").append(AUTO_THRESHOLD).append(": ");
        for (int i = 0; i < d.size(); i++) {
            Element e = d.get(i);
            b.append(i == 0 ? "" : "; ").append(e.element()).append(' ').append(String.format(java.util.Locale.ROOT, "%.2f", e.confidence()))
                    .append(" (").append(e.reason()).append(')');
        }
        return b.toString();
    }

    public String ruleJson() {
        return rule.toString();
    }

    /** {@code {"rule": ..., "elements": [...], "notes": [...], "applicable": bool, "verdict": ..., "scorer": ...}}. */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.set("rule", rule);
        ArrayNode els = o.putArray("elements");
        for (Element e : elements) {
            ObjectNode x = els.addObject();
            x.put("element", e.element());
            if (e.path() != null) {
                x.put("path", e.path());
            }
            x.put("confidence", Math.round(e.confidence() * 100) / 100.0);
            x.put("required", e.required());
            x.put("reason", e.reason());
        }
        ArrayNode n = o.putArray("notes");
        notes.forEach(n::add);
        o.put("applicable", applicable());
        o.put("verdict", verdict());
        o.put("scorer", scorer);
        return o.toString();
    }
}
