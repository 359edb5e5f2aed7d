// SPDX-License-Identifier: MIT
package io.tmidb.worker.relay;

/**
 * Subjects of relayed events: {@code tmi.<kind>.<target_id>.<event_type>}. An event type's dots
 * stay token separators ({@code tmi.bike.<id>.alarm.active}), so subscribers can filter with
 * {@code tmi.*.*.alarm.>}. Every token is reduced to ASCII letters, digits, '_' and '-' (others
 * become '_') and to 64 characters, and a missing one is {@code _}: whatever a row holds, the
 * subject is valid and has no wildcards. The message body carries the exact values.
 */
public final class Subjects {
    /** The token that stands for a missing kind, target or type. */
    public static final String NONE = "_";
    private static final int MAX_TOKEN = 64;

    private Subjects() {
    }

    public static String of(String kind, String targetId, String eventType) {
        StringBuilder b = new StringBuilder(96).append("tmi.").append(token(kind)).append('.').append(token(targetId));
        if (eventType == null) {
            return b.append('.').append(NONE).toString();
        }
        for (String part : eventType.split("\\.", -1)) {
            b.append('.').append(token(part));
        }
        return b.toString();
    }

    static String token(String raw) {
        if (raw == null || raw.isEmpty()) {
            return NONE;
        }
        int n = Math.min(raw.length(), MAX_TOKEN);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            b.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-') ? c : '_');
        }
        return b.toString();
    }
}
