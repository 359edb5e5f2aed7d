// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.request;

import io.tmidb.gateway.internal.error.ApiException;
import io.tmidb.gateway.internal.schema.ApiSchemas;

import java.util.Locale;

/** Content negotiation: the API version (Accept-Profile / Content-Profile) and the response media type. */
public final class Negotiation {
    public static final String OBJECT = "application/vnd.pgrst.object+json";

    private Negotiation() {
    }

    /** The schema a request addresses: the profile header's, else the newest {@code api_vN}. */
    public static String profile(ApiSchemas schemas, String header) {
        if (header == null || header.isBlank()) {
            return schemas.newest().orElseThrow(() -> new ApiException(406, "PGRST106",
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

    /** Whether the client asks for one object rather than an array; 406 for media types not served. */
    public static boolean singular(String accept) {
        if (accept == null || accept.isBlank()) {
            return false;
        }
        boolean servable = false;
        for (String part : accept.split(",")) {
            String type = part.split(";")[0].trim().toLowerCase(Locale.ROOT);
            if (type.equals(OBJECT)) {
                return true;
            }
            servable |= type.equals("application/json") || type.equals("*/*") || type.equals("application/*")
                    || type.equals("application/openapi+json");
        }
        if (!servable) {
            throw new ApiException(406, "PGRST107", "None of these media types are available: " + accept, null,
                    "Accept application/json or " + OBJECT + ".");
        }
        return false;
    }
}
