// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.normalizer.internal.Path;
import io.tmidb.normalizer.internal.Role;
import io.tmidb.normalizer.internal.Shapes;
import io.tmidb.stored.mapping.Values;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Grades a suggested rule against the rule a person wrote for the same feed: per role (was the
 * same element chosen?) and end to end (does the suggestion map each item of the newest document
 * to the same key, name, time, position and field values as the person's rule, reading values with
 * the mapping's own converters?). A suggestion succeeds when at least {@link #SUCCESS_SHARE} of
 * the items come out the same.
 */
public final class Grader {
    public static final double SUCCESS_SHARE = 0.95;

    /** What is graded; each counts correct answers out of a total. */
    public enum Check { ITERATE, KEY, NAME, TIMESTAMP, LAT, LON, FIELD_TYPES, PERSISTENCE }

    /** The grade of one case: per check {correct, total}, the share of items mapped alike, and the first difference. */
    public record Grade(Map<Check, int[]> checks, double itemShare, String firstDifference) {
        public boolean success() {
            return itemShare >= SUCCESS_SHARE;
        }
    }

    private Grader() {
    }

    /** The role a column (a path relative to the item) plays in a rule, for training labels. */
    public static Role roleOf(ObjectNode rule, Path column) {
        if (column.equals(Path.parse(rule.path("key").asText(null)))) {
            return Role.KEY;
        }
        if (column.equals(Path.parse(rule.path("name").asText(null)))) {
            return Role.NAME;
        }
        if (column.equals(Path.parse(rule.path("timestamp").path("path").asText(null)))) {
            return Role.TIMESTAMP;
        }
        if (column.equals(lat(rule))) {
            return Role.LAT;
        }
        if (column.equals(lon(rule))) {
            return Role.LON;
        }
        return Role.FIELD;
    }

    static Path lat(ObjectNode rule) {
        Path g = Path.parse(rule.path("position").path("geojson").asText(null));
        return g != null ? g.member("coordinates").index(1) : Path.parse(rule.path("lat").asText(null));
    }

    static Path lon(ObjectNode rule) {
        Path g = Path.parse(rule.path("position").path("geojson").asText(null));
        return g != null ? g.member("coordinates").index(0) : Path.parse(rule.path("lon").asText(null));
    }

    /** Grades {@code suggested} (null: the suggester gave up) against the case's rule. */
    public static Grade grade(FeedCase c, ObjectNode suggested) {
        ObjectNode truth = c.rule();
        Map<Check, int[]> checks = new EnumMap<>(Check.class);
        for (Check k : Check.values()) {
            checks.put(k, new int[2]);
        }
        ObjectNode s = suggested == null ? truth.objectNode() : suggested;
        boolean sameItems = truth.path("iterate").asText("$").equals(s.path("iterate").asText(""));
        count(checks, Check.ITERATE, sameItems);
        count(checks, Check.KEY, sameItems && same(truth, s, "key"));
        count(checks, Check.NAME, sameItems && same(truth, s, "name"));
        count(checks, Check.TIMESTAMP, sameItems && Objects.equals(Path.parse(truth.path("timestamp").path("path").asText(null)),
                Path.parse(s.path("timestamp").path("path").asText(null))) && timesAlike(c, truth, s));
        count(checks, Check.LAT, sameItems && Objects.equals(lat(truth), lat(s)));
        count(checks, Check.LON, sameItems && Objects.equals(lon(truth), lon(s)));
        boolean manyDocs = c.documents().size() > 1;
        for (Iterator<Map.Entry<String, JsonNode>> it = truth.path("fields").fields(); it.hasNext(); ) {
            JsonNode tf = it.next().getValue();
            JsonNode sf = sameItems ? fieldAt(s, tf.path("path").asText()) : null;
            count(checks, Check.FIELD_TYPES, sf != null && sf.path("type").asText().equals(tf.path("type").asText()));
            if (manyDocs) {
                count(checks, Check.PERSISTENCE, sf != null && sf.path("as").asText("observation").equals(tf.path("as").asText("observation")));
            }
        }
        if (!sameItems) {
            return new Grade(checks, 0, suggested == null ? "no suggestion" : "iterate " + s.path("iterate").asText() + " instead of " + truth.path("iterate").asText());
        }
        List<JsonNode> items = items(c.documents().get(0), truth.path("iterate").asText("$"));
        int alike = 0;
        String first = null;
        for (int i = 0; i < items.size(); i++) {
            String diff = difference(items.get(i), truth, s, manyDocs);
            if (diff == null) {
                alike++;
            } else if (first == null) {
                first = "item " + i + ": " + diff;
            }
        }
        return new Grade(checks, items.isEmpty() ? 0 : alike / (double) items.size(), first);
    }

    private static void count(Map<Check, int[]> checks, Check k, boolean ok) {
        checks.get(k)[0] += ok ? 1 : 0;
        checks.get(k)[1]++;
    }

    private static boolean same(ObjectNode a, ObjectNode b, String member) {
        return Objects.equals(Path.parse(a.path(member).asText(null)), Path.parse(b.path(member).asText(null)));
    }

    private static boolean timesAlike(FeedCase c, ObjectNode truth, ObjectNode s) {
        for (JsonNode item : items(c.documents().get(0), truth.path("iterate").asText("$"))) {
            if (!Objects.equals(time(truth.path("timestamp"), item), time(s.path("timestamp"), item))) {
                return false;
            }
        }
        return true;
    }

    private static JsonNode fieldAt(ObjectNode rule, String path) {
        Path p = Path.parse(path);
        for (JsonNode f : rule.path("fields")) {
            if (p != null && p.equals(Path.parse(f.path("path").asText(null)))) {
                return f;
            }
        }
        return null;
    }

    /** The items an {@code iterate} of the forms {@code $...[*]} or {@code $...} finds. */
    public static List<JsonNode> items(JsonNode doc, String iterate) {
        boolean array = iterate.endsWith("[*]");
        JsonNode at = Path.parse(array ? iterate.substring(0, iterate.length() - 3) : iterate).in(doc);
        List<JsonNode> out = new ArrayList<>();
        if (array && at != null && at.isArray()) {
            at.forEach(out::add);
        } else if (!array && at != null) {
            out.add(at);
        }
        return out;
    }

    private static String difference(JsonNode item, ObjectNode truth, ObjectNode s, boolean persistence) {
        if (!Objects.equals(ident(truth, s, "key", item, false), ident(s, truth, "key", item, false))) {
            return "key " + ident(s, truth, "key", item, false) + " instead of " + ident(truth, s, "key", item, false);
        }
        if (truth.has("name") && !Objects.equals(ident(truth, s, "name", item, true), ident(s, truth, "name", item, true))) {
            return "name " + ident(s, truth, "name", item, true) + " instead of " + ident(truth, s, "name", item, true);
        }
        if (!Objects.equals(time(truth.path("timestamp"), item), time(s.path("timestamp"), item))) {
            return "time " + time(s.path("timestamp"), item) + " instead of " + time(truth.path("timestamp"), item);
        }
        if (!Objects.equals(number(lat(truth), item), number(lat(s), item)) || !Objects.equals(number(lon(truth), item), number(lon(s), item))) {
            return "position " + number(lat(s), item) + "," + number(lon(s), item) + " instead of " + number(lat(truth), item)
                    + "," + number(lon(truth), item);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = truth.path("fields").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode sf = fieldAt(s, e.getValue().path("path").asText());
            if (sf == null) {
                return "field " + e.getKey() + " missing";
            }
            String want = value(e.getValue(), item);
            String got = value(sf, item);
            if (!Objects.equals(want, got)) {
                return "field " + e.getKey() + " " + got + " instead of " + want;
            }
            if (persistence && !sf.path("as").asText("observation").equals(e.getValue().path("as").asText("observation"))) {
                return "field " + e.getKey() + " as " + sf.path("as").asText("observation");
            }
        }
        return null;
    }

    /** A key or name as stored: trimmed text; a rule without the member gives null. */
    private static String ident(ObjectNode rule, ObjectNode other, String member, JsonNode item, boolean blankIsNone) {
        Path p = Path.parse(rule.path(member).asText(null));
        JsonNode v = p == null ? null : p.in(item);
        if (v == null || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String t = v.asText().strip();
        return blankIsNone && t.isEmpty() ? null : t;
    }

    private static Instant time(JsonNode spec, JsonNode item) {
        Path p = Path.parse(spec.path("path").asText(null));
        if (p == null) {
            return null;
        }
        JsonNode v = p.in(item);
        return new Values.TimeReader(spec.path("format").asText(null), spec.path("pattern").asText(null),
                spec.path("timezone").asText(null)).read(Shapes.jsonType(v), Shapes.text(v));
    }

    private static Double number(Path p, JsonNode item) {
        double d = p == null ? Double.NaN : Shapes.number(p.in(item));
        return Double.isNaN(d) ? null : d;
    }

    private static String value(JsonNode field, JsonNode item) {
        JsonNode v = Path.parse(field.path("path").asText()).in(item);
        if (!Shapes.present(v)) {
            return null;
        }
        String type = field.path("type").asText();
        if (type.equals("timestamp")) {
            Instant t = time(field, item);
            return t == null ? "unreadable" : t.toString();
        }
        String out = Values.convert(type, field.path("unit").asText(null), Shapes.jsonType(v), field.path("trim").asBoolean()
                ? v.asText().strip() : Shapes.text(v));
        return out == null ? "unreadable" : out;
    }
}
