// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Whether a field is an attribute (the same value in every document for an item) or an
 * observation (it changes), read from two or more documents whose items are matched by the key.
 * With one document nothing can be told: the field stays an observation, the rule's default.
 *
 * @param attribute  true for {@code "as": "attribute"}
 * @param confidence how sure
 * @param reason     one line
 */
public record Persistence(boolean attribute, double confidence, String reason) {

    /**
     * From the items of every document, matched by {@code key}. Only items that changed between
     * documents tell anything: an unchanged feed fetched twice would make every field look stable.
     */
    public static Persistence of(Column field, Column key, ItemSet items) {
        int docs = field.values().size();
        if (docs < 2) {
            return new Persistence(false, 0.5, "one document: cannot tell an attribute from an observation");
        }
        Map<String, JsonNode> firstValue = new HashMap<>();
        Map<String, JsonNode> firstItem = new HashMap<>();
        int compared = 0;
        int changed = 0;
        for (int d = 0; d < docs; d++) {
            List<JsonNode> keys = key.values().get(d);
            List<JsonNode> values = field.values().get(d);
            List<JsonNode> sampled = Column.sample(items.perDoc().get(d));
            for (int i = 0; i < keys.size(); i++) {
                JsonNode k = keys.get(i);
                if (k == null) {
                    continue;
                }
                String id = k.asText().strip();
                JsonNode v = values.get(i);
                if (!firstItem.containsKey(id)) {
                    firstItem.put(id, sampled.get(i));
                    firstValue.put(id, v);
                } else if (!firstItem.get(id).equals(sampled.get(i))) {
                    compared++;
                    changed += Objects.equals(firstValue.get(id), v) ? 0 : 1;
                }
            }
        }
        if (compared == 0) {
            return new Persistence(false, 0.5, "no item changed between the documents: kept as an observation");
        }
        if (changed > 0) {
            return new Persistence(false, 0.95, "changed on " + changed + " of " + compared + " items that changed between documents");
        }
        return new Persistence(true, Math.min(0.95, 0.6 + 0.05 * compared), "the same on all " + compared
                + " items that changed otherwise between documents");
    }
}
