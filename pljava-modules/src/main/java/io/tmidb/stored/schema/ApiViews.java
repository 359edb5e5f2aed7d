// SPDX-License-Identifier: MIT
package io.tmidb.stored.schema;

import static io.tmidb.stored.SqlText.ident;
import static io.tmidb.stored.SqlText.literal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;

/**
 * The typed views of one schema version of a kind: {@code api_vN.<kind>} (one row per target,
 * one column per attribute), {@code api_vN.<kind>_obs} (one row per observation, one column per
 * field) and {@code api_vN.<kind>_latest} (the latest observation of each target), beside the
 * front door's /rpc functions (tmi.install_api_functions). They read as their owner, tmi_worker
 * (which reads targets and observations as a speaker does), and show each caller only what
 * tmi.caller_scope() allows (all of it to speakers; to a listener its subscribed targets and
 * fields), worked out once per statement rather than once per row.
 * Speakers write targets through {@code api_vN.<kind>} (tmi.api_target_write, an upsert by
 * ext_key) and observations through {@code api_vN.<kind>_obs} (tmi.api_obs_write, which calls
 * tmi.observe); an observation row also shows its target's ext_key and the position at its time. A
 * value whose JSON type does not match its column reads as NULL, so a view of an old version keeps
 * working whatever arrives later.
 */
final class ApiViews {
    private static final Set<String> TARGET_COLUMNS = Set.of("target_id", "name", "ext_key", "created_at", "updated_at");
    private static final Set<String> OBS_COLUMNS = Set.of("obs_id", "target_id", "ext_key", "ts", "lat", "lon");

    private ApiViews() {
    }

    static void create(Connection c, String kind, int version, Collection<Attribute> attrs) throws SQLException {
        String schema = "api_v" + version;
        StringBuilder targetCols = new StringBuilder();
        StringBuilder obsCols = new StringBuilder();
        StringBuilder renamed = new StringBuilder("{");
        StringBuilder renamedObs = new StringBuilder("{");
        attrs.stream().sorted(java.util.Comparator.comparing(Attribute::name)).forEach(a -> {
            boolean attribute = "attribute".equals(a.scope());
            String column = column(a.name(), attribute ? TARGET_COLUMNS : OBS_COLUMNS, attribute ? "_attr" : "_field");
            if (!column.equals(a.name())) {
                StringBuilder r = attribute ? renamed : renamedObs;
                r.append(r.length() > 1 ? "," : "").append('"').append(column).append("\":\"").append(a.name()).append('"');
            }
            (attribute ? targetCols : obsCols).append(", ")
                    .append(typed(attribute ? "m.meta" : "p.payload", a)).append(" AS ").append(ident(column));
        });
        String view = schema + "." + ident(kind);
        String obsView = schema + "." + ident(kind + "_obs");
        String latestView = schema + "." + ident(kind + "_latest");
        String comment = "kind " + kind + ", schema version " + version;
        try (Statement st = c.createStatement()) {
            // the schema and its /rpc functions as the extension's owner: the worker's role may not create schemas
            st.execute("SELECT tmi.prepare_api_schema(" + version + ")");
            // The views read as tmi_worker (their owner) and show each caller what tmi.caller_scope() allows,
            // worked out once per statement (a function scan in FROM is evaluated once): listeners may not
            // read meta and payload themselves. No security_barrier: it would keep ORDER BY ... LIMIT from
            // reaching the (target_id, ts) index. Every column derived from a document goes through
            // tmi.scope_only, so a caller's condition evaluated early sees no hidden field, and callers
            // below speakers reach the views only through the gateway, with built-in operators.
            st.execute("CREATE VIEW " + view + " AS SELECT t.target_id, t.name, t.ext_key, t.created_at, t.updated_at"
                    + targetCols + SCOPE + " CROSS JOIN tmi.target t" + readable("t.meta", "t.target_id", "m", "meta")
                    + visible(kind, "t.target_id"));
            st.execute("CREATE VIEW " + obsView + " AS SELECT o.obs_id, o.target_id, t.ext_key, o.ts, g.lat, g.lon"
                    + obsCols + SCOPE + " CROSS JOIN tmi.ts_obs o JOIN tmi.target t ON t.target_id = o.target_id"
                    + " LEFT JOIN tmi.geo_trace g ON g.target_id = o.target_id AND g.ts = o.ts"
                    + readable("o.payload", "o.target_id", "p", "payload") + visible(kind, "o.target_id"));
            // the latest observation of every target of the kind: one index probe per target
            st.execute("CREATE VIEW " + latestView + " AS SELECT l.obs_id, t.target_id, t.ext_key, l.ts"
                    + obsCols + SCOPE + " CROSS JOIN tmi.target t"
                    + " CROSS JOIN LATERAL (SELECT o.obs_id, o.ts, o.payload FROM tmi.ts_obs o WHERE o.target_id = t.target_id"
                    + " ORDER BY o.ts DESC LIMIT 1) l" + readable("l.payload", "t.target_id", "p", "payload")
                    + visible(kind, "t.target_id"));
            st.execute("CREATE TRIGGER api_write INSTEAD OF INSERT OR UPDATE OR DELETE ON " + view
                    + " FOR EACH ROW EXECUTE FUNCTION tmi.api_target_write(" + literal(kind) + ", " + literal(renamed + "}") + ")");
            st.execute("CREATE TRIGGER api_write INSTEAD OF INSERT ON " + obsView
                    + " FOR EACH ROW EXECUTE FUNCTION tmi.api_obs_write(" + literal(kind) + ", " + literal(renamedObs + "}") + ")");
            for (String v : new String[] {view, obsView, latestView}) {
                st.execute("ALTER VIEW " + v + " OWNER TO tmi_worker");
                st.execute("COMMENT ON VIEW " + v + " IS " + literal(comment));
                st.execute("GRANT SELECT ON " + v + " TO tmi_speaker, tmi_listener");
                st.execute("GRANT ALL ON " + v + " TO tmi_admin");
            }
            st.execute("GRANT INSERT, UPDATE, DELETE ON " + view + " TO tmi_speaker");
            st.execute("GRANT INSERT ON " + obsView + " TO tmi_speaker");
            st.execute("NOTIFY pgrst, 'reload schema'");
        }
    }

    /** What the caller may read, once per statement (a function scan in FROM is evaluated once). */
    private static final String SCOPE = " FROM tmi.caller_scope() AS c (scope)";

    /** The document {@code doc} of {@code target} as the caller may read it: column {@code column} of lateral {@code alias}. */
    private static String readable(String doc, String target, String alias, String column) {
        return " CROSS JOIN LATERAL (SELECT tmi.scope_only(c.scope, t.kind, " + target + ", " + doc + ") AS " + column
                + " OFFSET 0) " + alias;
    }

    /** The rows of the kind whose target the caller may see. */
    private static String visible(String kind, String target) {
        return " WHERE t.kind = " + literal(kind) + " AND tmi.scope_sees(c.scope, t.kind, " + target + ")";
    }

    /** The JSON value as its column type; NULL when the stored value has another type. */
    private static String typed(String doc, Attribute a) {
        String v = doc + "->" + literal(a.name());
        return switch (a.type()) {
            case "number" -> "CASE WHEN jsonb_typeof(" + v + ") = 'number' THEN (" + v + ")::double precision END";
            case "string" -> "CASE WHEN jsonb_typeof(" + v + ") = 'string' THEN " + doc + "->>" + literal(a.name()) + " END";
            case "boolean" -> "CASE WHEN jsonb_typeof(" + v + ") = 'boolean' THEN (" + v + ")::boolean END";
            default -> v; // object, array, mixed: jsonb
        };
    }

    private static String column(String name, Set<String> reserved, String suffix) {
        String lower = name.toLowerCase(Locale.ROOT);
        return reserved.contains(lower) ? name + suffix : name;
    }
}
