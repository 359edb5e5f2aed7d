// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A position in the write-ahead log as PostgreSQL writes a {@code pg_lsn} ({@code 16/B374D848}:
 * the high and low 32 bits in hex) and as a number that orders positions. 0 is "no position"; one
 * past 2^63 (8 EiB of WAL, which no server writes) is refused, so that every position is positive.
 */
public final class Lsn {
    private static final Pattern TEXT = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    private Lsn() {
    }

    /** The position {@code text} names, or empty when it is not a {@code pg_lsn}. */
    public static OptionalLong parse(String text) {
        Matcher m = TEXT.matcher(text.strip());
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        long lsn = Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16);
        return lsn < 0 ? OptionalLong.empty() : OptionalLong.of(lsn);
    }

    /** {@code lsn} as PostgreSQL writes it. */
    public static String format(long lsn) {
        return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
    }
}
