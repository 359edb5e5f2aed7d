// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.plan;

import io.tmidb.gateway.internal.request.Condition;
import io.tmidb.gateway.internal.request.SelectItem;
import io.tmidb.gateway.internal.schema.Relation;

import java.util.List;

/**
 * A checked INSERT, UPDATE or DELETE: the columns the JSON body sets (checked against the
 * relation), the filters (UPDATE/DELETE), and what to return ({@code returning} empty: nothing).
 */
public record WritePlan(Kind kind, Relation relation, List<String> columns, String body, List<Condition> where,
                        List<SelectItem> returning) {
    /** The statement. */
    public enum Kind { INSERT, UPDATE, DELETE }
}
