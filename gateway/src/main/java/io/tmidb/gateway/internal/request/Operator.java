// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import java.util.Arrays;
import java.util.Optional;

/**
 * The filter operators the gateway supports, with PostgREST's names and their SQL. For the
 * full-text operators the SQL is the function that makes the query of the value.
 */
public enum Operator {
    EQ("eq", "="), NEQ("neq", "<>"), GT("gt", ">"), GTE("gte", ">="), LT("lt", "<"), LTE("lte", "<="),
    LIKE("like", "LIKE"), ILIKE("ilike", "ILIKE"), MATCH("match", "~"), IMATCH("imatch", "~*"),
    IN("in", "IN"), IS("is", "IS"), ISDISTINCT("isdistinct", "IS DISTINCT FROM"), CS("cs", "@>"), CD("cd", "<@"),
    FTS("fts", "to_tsquery"), PLFTS("plfts", "plainto_tsquery"), PHFTS("phfts", "phraseto_tsquery"),
    WFTS("wfts", "websearch_to_tsquery");

    /** The names, for error messages. */
    public static final String NAMES = String.join(", ", Arrays.stream(values()).map(o -> o.urlName).toList());
    private final String urlName;
    private final String sql;

    Operator(String urlName, String sql) {
        this.urlName = urlName;
        this.sql = sql;
    }

    public String sql() {
        return sql;
    }

    /** Full-text search: {@code fts}, {@code plfts}, {@code phfts}, {@code wfts}, optionally with a language. */
    public boolean fullText() {
        return this == FTS || this == PLFTS || this == PHFTS || this == WFTS;
    }

    /** Compares the field as text with a pattern. */
    public boolean pattern() {
        return this == LIKE || this == ILIKE || this == MATCH || this == IMATCH;
    }

    /** Takes PostgREST's {@code (any)}/{@code (all)} modifier: {@code like(any).{a*,b*}}. */
    public boolean quantifiable() {
        return this == EQ || this == GT || this == GTE || this == LT || this == LTE || pattern();
    }

    public static Optional<Operator> byName(String name) {
        return Arrays.stream(values()).filter(o -> o.urlName.equals(name)).findFirst();
    }
}
