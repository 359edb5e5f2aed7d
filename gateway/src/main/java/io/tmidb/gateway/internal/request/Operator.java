// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.util.Arrays;
import java.util.Optional;

/** The filter operators the gateway supports, with PostgREST's names and their SQL. */
public enum Operator {
    EQ("eq", "="), NEQ("neq", "<>"), GT("gt", ">"), GTE("gte", ">="), LT("lt", "<"), LTE("lte", "<="),
    LIKE("like", "LIKE"), ILIKE("ilike", "ILIKE"), IN("in", "IN"), IS("is", "IS"), CS("cs", "@>"), CD("cd", "<@");

    private final String urlName;
    private final String sql;

    Operator(String urlName, String sql) {
        this.urlName = urlName;
        this.sql = sql;
    }

    public String sql() {
        return sql;
    }

    public static Optional<Operator> byName(String name) {
        return Arrays.stream(values()).filter(o -> o.urlName.equals(name)).findFirst();
    }
}
