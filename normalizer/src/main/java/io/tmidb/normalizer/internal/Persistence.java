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

    public static Persistence of(Column field, Column key) {
        int docs = field.values().size();
        if (docs < 2) {
            return new Persistence(false, 0.5, "one document: cannot tell an attribute from an observation");
        }
        Map<String, JsonNode> firstSeen = new HashMap<>();
        int compared = 0;
        int changed = 0;
        for (int d = 0; d < docs; d++) {
            List<JsonNode> keys = key.values().get(d);
            List<JsonNode> values = field.values().get(d);
            for (int i = 0; i < keys.size(); i++) {
                JsonNode k = keys.get(i);
                if (k == null) {
                    continue;
                }
                String id = k.asText().strip();
                JsonNode v = values.get(i);
                if (firstSeen.containsKey(id)) {
                    compared++;
                    changed += Objects.equals(firstSeen.get(id), v) ? 0 : 1;
                } else {
                    firstSeen.put(id, v);
                }
            }
        }
        if (compared == 0) {
            return new Persistence(false, 0.5, "no item appears in two documents: kept as an observation");
        }
        if (changed > 0) {
            return new Persistence(false, 0.95, "changed on " + changed + " of " + compared + " items between " + docs + " documents");
        }
        return new Persistence(true, Math.min(0.95, 0.6 + 0.05 * compared), "the same on all " + compared
                + " items seen in " + docs + " documents");
    }
}
