// SPDX-License-Identifier: MIT
package io.tmidb.stored.mapping;

import java.util.Map;

/**
 * What one item becomes: its target (key, name or null when the rule maps none, attributes), an
 * observation (fields as JSON text, absent when the rule maps none for it) and a position.
 */
record MappedItem(long rawId, int ord, String key, String name, String ts, Double lat, Double lon,
                  Map<String, String> attributes, Map<String, String> observation) {
}
