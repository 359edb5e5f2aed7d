// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.OrderItem;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.List;

/** A checked read of a relation: every field named exists; the row window is [offset, offset + limit). */
public record ReadPlan(Relation relation, List<SelectItem> select, List<Condition> where, List<OrderItem> order,
                       long offset, Long limit, boolean countExact) {
}
