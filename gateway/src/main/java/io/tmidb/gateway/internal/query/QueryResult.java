// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

/** What a statement gave: the exact total when counted (else null), the rows in the body, the body as JSON text. */
public record QueryResult(Long total, long rows, String body) {
}
