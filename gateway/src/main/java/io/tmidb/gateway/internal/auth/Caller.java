// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.auth;

/**
 * Who a request runs as: the database role set with {@code SET LOCAL ROLE} and the JWT claims
 * (JSON text) put into {@code request.jwt.claims}; {@code authenticated} is false without a token.
 */
public record Caller(String role, String claimsJson, boolean authenticated) {
}
