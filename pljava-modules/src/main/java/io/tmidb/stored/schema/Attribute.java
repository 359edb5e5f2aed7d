// SPDX-License-Identifier: MIT
package io.tmidb.stored.schema;

/**
 * One attribute of a kind: a target attribute (scope {@code attribute}) or an observation field
 * (scope {@code observation}), with its JSON type; {@code mixed} once values of two types were seen.
 */
record Attribute(String scope, String name, String type) {
    static final String MIXED = "mixed";

    String key() {
        return scope + "/" + name;
    }
}
