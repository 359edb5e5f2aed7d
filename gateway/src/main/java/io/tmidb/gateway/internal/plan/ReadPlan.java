// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.OrderItem;
import io.tmidb.gateway.internal.request.Preferences;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.List;

/**
 * A checked read of a relation: every field named exists; the row window is [offset, offset + limit);
 * {@code count} is how the total is found (null: not at all); {@code stripNulls} drops null fields.
 */
public record ReadPlan(Relation relation, List<SelectItem> select, List<Condition> where, List<OrderItem> order,
                       long offset, Long limit, Preferences.Count count, boolean stripNulls) {
}
