// SPDX-License-Identifier: MIT
package io.tmidb.stored;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Id batches as PostgreSQL array literals ({@code {1,2,3}}): the one form that crosses both hosts
 * the same way, as a text parameter cast with {@code CAST(? AS bigint[])}.
 */
public final class Ids {
    private Ids() {
    }

    public static String toArrayLiteral(long[] ids) {
        return Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(",", "{", "}"));
    }

    public static long[] fromArrayLiteral(String literal) {
        String body = literal.strip();
        if (!body.startsWith("{") || !body.endsWith("}")) {
            throw new IllegalArgumentException("not an array literal: " + literal);
        }
        body = body.substring(1, body.length() - 1).strip();
        return body.isEmpty() ? new long[0]
                : Arrays.stream(body.split(",")).map(String::strip).mapToLong(Long::parseLong).toArray();
    }
}
