// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

/**
 * The statement of a request, and when {@code Prefer: count=planned} asks for it, the query whose
 * planned row count (EXPLAIN, not executed) is the total to answer; null otherwise.
 */
public record Query(Sql main, Sql plannedCount) {
}
