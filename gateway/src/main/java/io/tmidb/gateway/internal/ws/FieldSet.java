// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.ws;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The fields of a document someone may read: all of them, or a set of top-level keys. Applying it
 * is {@code tmi.only_fields(doc, fields)} in Java: the keys of the document that are in the set.
 */
record FieldSet(boolean all, Set<String> names) {
    static final FieldSet ALL = new FieldSet(true, Set.of());

    FieldSet {
        names = Set.copyOf(names);
    }

    static FieldSet of(Collection<String> names) {
        return names == null ? ALL : new FieldSet(false, new TreeSet<>(names));
    }

    FieldSet union(FieldSet other) {
        if (all || other.all) {
            return ALL;
        }
        TreeSet<String> both = new TreeSet<>(names);
        both.addAll(other.names);
        return new FieldSet(false, both);
    }

    FieldSet intersect(FieldSet other) {
        if (all) {
            return other;
        }
        if (other.all) {
            return this;
        }
        TreeSet<String> common = new TreeSet<>(names);
        common.retainAll(other.names);
        return new FieldSet(false, common);
    }

    /** A copy of {@code doc} with only these fields ({@code doc} itself when all are allowed). */
    ObjectNode apply(ObjectNode doc) {
        if (all) {
            return doc;
        }
        ObjectNode out = doc.objectNode();
        for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = doc.fields(); it.hasNext(); ) {
            Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> field = it.next();
            if (names.contains(field.getKey())) {
                out.set(field.getKey(), field.getValue());
            }
        }
        return out;
    }
}
