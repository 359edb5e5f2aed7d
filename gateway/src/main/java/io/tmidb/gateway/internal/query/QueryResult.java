// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

/**
 * What a statement gave: the total when counted (exact, or the planner's estimate; else null),
 * the rows in the body, the body as JSON text, and for an upsert how many of the rows were
 * inserted rather than updated (else null).
 */
public record QueryResult(Long total, long rows, String body, Long inserted) {
}
