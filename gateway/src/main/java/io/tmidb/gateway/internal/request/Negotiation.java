// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.schema.ApiSchemas;

import java.util.Locale;
import java.util.function.Predicate;

/** Content negotiation: the API version (Accept-Profile / Content-Profile) and the response media type. */
public final class Negotiation {
    public static final String OBJECT = "application/vnd.pgrst.object+json";
    public static final String ARRAY = "application/vnd.pgrst.array+json";
    /**
     * The profile Supabase clients send unless told another schema ({@code createClient}'s
     * default {@code db.schema}); there is no such schema here, so it means "no profile".
     */
    public static final String DEFAULT_PROFILE = "public";

    private Negotiation() {
    }

    /**
     * The schema a request addresses: the profile header's; without one, the newest {@code api_vN}
     * for which {@code has} holds (the newest version that has the resource or function asked
     * for), else the newest. {@value #DEFAULT_PROFILE} counts as no header.
     */
    public static String profile(ApiSchemas schemas, String header, Predicate<String> has) {
        if (unnamed(header)) {
            return schemas.newest(has).or(schemas::newest).orElseThrow(() -> new ApiException(406, "PGRST106",
                    "The schema must be one of the following: (none)", "No api_v<N> schema exists yet.",
                    "Create a schema version of a kind; its views appear in api_v1, api_v2, ..."));
        }
        String wanted = header.trim();
        if (!schemas.versions().contains(wanted)) {
            throw new ApiException(406, "PGRST106", "The schema must be one of the following: "
                    + String.join(", ", schemas.versions()), null, "Send one of them in Accept-Profile (reads) or Content-Profile (writes).");
        }
        return wanted;
    }

    /** Whether a profile header names no version: absent, empty or {@value #DEFAULT_PROFILE}. */
    public static boolean unnamed(String header) {
        return header == null || header.isBlank() || header.trim().equals(DEFAULT_PROFILE);
    }

    /**
     * The response shape the client accepts: an array ({@code application/json},
     * {@code application/vnd.pgrst.array+json}) or one object ({@value #OBJECT}), either with
     * {@code ;nulls=stripped} to drop null fields; 406 PGRST107 for media types not served.
     */
    public static Shape accept(String accept) {
        if (accept == null || accept.isBlank()) {
            return Shape.ARRAY;
        }
        Shape served = null;
        for (String part : accept.split(",")) {
            String[] pieces = part.split(";");
            String type = pieces[0].trim().toLowerCase(Locale.ROOT);
            boolean strip = false;
            for (int i = 1; i < pieces.length; i++) {
                strip |= pieces[i].trim().equalsIgnoreCase("nulls=stripped");
            }
            Shape s = switch (type) {
                case OBJECT, "application/vnd.pgrst.object" -> new Shape(true, strip);
                case ARRAY, "application/vnd.pgrst.array" -> new Shape(false, strip);
                case "application/json", "*/*", "application/*", "application/openapi+json" -> Shape.ARRAY;
                default -> null;
            };
            if (s != null && (s.singular() || s.stripNulls())) {
                return s;
            }
            served = served == null ? s : served;
        }
        if (served == null) {
            throw new ApiException(406, "PGRST107", "None of these media types are available: " + accept, null,
                    "Accept application/json or " + OBJECT + ".");
        }
        return served;
    }

    /** One object or an array of rows, with or without null fields; {@link #contentType} is what is answered. */
    public record Shape(boolean singular, boolean stripNulls) {
        public static final Shape ARRAY = new Shape(false, false);

        public String contentType() {
            if (!stripNulls) {
                return "application/json; charset=utf-8";
            }
            return (singular ? OBJECT : Negotiation.ARRAY) + ";nulls=stripped; charset=utf-8";
        }
    }
}
