// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

/** One item of {@code order=}: a field, direction and where NULLs go ({@code null}: the default). */
public record OrderItem(FieldRef field, boolean descending, Boolean nullsFirst) {
}
