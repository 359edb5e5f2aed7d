// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.OrderItem;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.List;
import java.util.Map;

/**
 * A checked INSERT, UPDATE, DELETE or PUT: the columns the JSON body sets (checked against the
 * relation), the filters, the order of the returned rows and, for UPDATE and DELETE, the window
 * of rows affected ({@code limit} null and {@code offset} 0: every matching row), what to return
 * ({@code returning} empty: nothing), what an insert does on a conflict (null: fails), and the
 * default expressions that fill columns a body element lacks ({@code Prefer: missing=default};
 * empty otherwise).
 */
public record WritePlan(Kind kind, Relation relation, List<String> columns, String body, List<Condition> where,
                        List<OrderItem> order, Long limit, long offset, List<SelectItem> returning, Conflict conflict,
                        Map<String, String> defaults, boolean stripNulls) {
    /** The statement; PUT inserts one row or replaces it (an upsert on the key filtered by the URL). */
    public enum Kind { INSERT, UPDATE, DELETE, PUT }

    /** {@code ON CONFLICT (columns)}: update the row with the body's values ({@code merge}) or leave it. */
    public record Conflict(List<String> columns, boolean merge) {
    }

    /** Whether only a window of the matching rows is affected. */
    public boolean limited() {
        return limit != null || offset > 0;
    }
}
