// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.normalizer.Element;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Writes the rule and its elements from the items, their columns and the assigned roles. */
public final class RuleWriter {
    private static final Set<String> GENERIC = Set.of("data", "items", "results", "result", "features", "list", "rows",
            "records", "entries", "values", "states", "elements", "objects", "response", "body", "feed");

    private RuleWriter() {
    }

    /** The written rule and its elements. */
    public record Written(ObjectNode rule, List<Element> elements) {
    }

    public static Written write(ItemSet items, List<Column> cols, float[][] features, Assignment a, String source,
                                String scorer) {
        JsonNodeFactory n = JsonNodeFactory.instance;
        ObjectNode rule = n.objectNode();
        List<Element> els = new ArrayList<>();
        rule.put("iterate", items.iterate());
        els.add(new Element("iterate", items.iterate(), items.confidence(), true, items.reason()));
        rule.put("kind", kind(items, source));

        rule.put("key", a.key().path().toString());
        els.add(new Element("key", a.key().path().toString(), a.keyScore(), true,
                "present and unique in every item (" + items.total() + " in " + items.perDoc().size() + " document"
                        + (items.perDoc().size() == 1 ? "" : "s") + "); " + scorer + " " + pct(a.keyScore())));
        if (a.name() != null) {
            rule.put("name", a.name().path().toString());
            els.add(new Element("name", a.name().path().toString(), a.nameScore(), false, "text labels; " + scorer + " " + pct(a.nameScore())));
        }
        if (a.time() != null) {
            TimeGuess t = a.timeGuess();
            ObjectNode ts = rule.putObject("timestamp");
            ts.put("path", a.time().path().toString());
            ts.put("format", t.format());
            if (t.pattern() != null) {
                ts.put("pattern", t.pattern());
            }
            els.add(new Element("timestamp", a.time().path().toString(), a.timeScore(), true,
                    "read as " + FieldGuess.describe(t) + " in " + Math.round(t.share() * 100) + " % of items" + (t.note() != null ? "; " + t.note() : "")
                            + "; " + scorer + " " + pct(a.timeScore())));
        }
        Path geometry = a.lat() == null ? null : geoJsonGeometry(items, a.lat().path(), a.lon().path());
        if (geometry != null) {
            rule.putObject("position").put("geojson", geometry.toString());
            els.add(new Element("position", geometry.toString(), Math.min(a.latScore(), a.lonScore()), true,
                    "a GeoJSON Point: [lon, lat]; " + scorer + " " + pct(Math.min(a.latScore(), a.lonScore()))));
        } else if (a.lat() != null) {
            rule.put("lat", a.lat().path().toString());
            rule.put("lon", a.lon().path().toString());
            els.add(new Element("lat", a.lat().path().toString(), a.latScore(), true, "within [-90, 90]; " + scorer + " " + pct(a.latScore())));
            els.add(new Element("lon", a.lon().path().toString(), a.lonScore(), true, "within [-180, 180]; " + scorer + " " + pct(a.lonScore())));
        }

        ObjectNode fields = rule.putObject("fields");
        Set<Column> roles = a.roles();
        Set<String> names = new HashSet<>();
        int flag = Features.NAMES.indexOf("tok_flag");
        for (int i = 0; i < cols.size(); i++) {
            Column c = cols.get(i);
            if (roles.contains(c) || geometry != null && c.path().equals(geometry.member("type"))) {
                continue;
            }
            if (geometry != null && (c.path().equals(geometry.member("coordinates").index(0))
                    || c.path().equals(geometry.member("coordinates").index(1)))) {
                continue;
            }
            FieldGuess g = FieldGuess.of(c, features[i][flag] > 0);
            if (g == null || g.share() == 0) {
                continue;
            }
            String name = fieldName(c.path(), names);
            ObjectNode f = fields.putObject(name);
            f.put("path", c.path().toString());
            f.put("type", g.type());
            if (g.unit() != null) {
                f.put("unit", g.unit());
            }
            if (g.trim()) {
                f.put("trim", true);
            }
            if (g.time() != null) {
                f.put("format", g.time().format());
                if (g.time().pattern() != null) {
                    f.put("pattern", g.time().pattern());
                }
            }
            Persistence p = Persistence.of(c, a.key(), items);
            if (p.attribute()) {
                f.put("as", "attribute");
            }
            els.add(new Element("fields." + name, c.path().toString(), g.share(), false, g.reason() + "; " + (p.attribute() ? "attribute" : "observation") + ": " + p.reason()));
        }
        return new Written(rule, els);
    }

    /** When lat and lon are a GeoJSON Point's coordinates[1] and [0], the geometry's path. */
    private static Path geoJsonGeometry(ItemSet items, Path lat, Path lon) {
        List<Path.Step> s = lon.steps();
        if (s.size() < 2 || !s.get(s.size() - 1).isIndex() || s.get(s.size() - 1).index() != 0
                || !"coordinates".equals(s.get(s.size() - 2).name())) {
            return null;
        }
        Path coordinates = Path.ROOT;
        for (Path.Step step : s.subList(0, s.size() - 1)) {
            coordinates = step.isIndex() ? coordinates.index(step.index()) : coordinates.member(step.name());
        }
        if (!lat.equals(coordinates.index(1))) {
            return null;
        }
        Path geometry = Path.ROOT;
        for (Path.Step step : s.subList(0, s.size() - 2)) {
            geometry = step.isIndex() ? geometry.index(step.index()) : geometry.member(step.name());
        }
        for (JsonNode item : items.first()) {
            JsonNode type = geometry.member("type").in(item);
            if (type == null || !"Point".equals(type.asText())) {
                return null;
            }
        }
        return geometry;
    }

    private static String kind(ItemSet items, String source) {
        String base = items.array() == null ? "" : items.array().lastName();
        if (base.isEmpty() || GENERIC.contains(base.toLowerCase(Locale.ROOT))) {
            base = source == null ? "item" : source;
        }
        String id = identifier(base);
        if (id.endsWith("ies") && id.length() > 4) {
            id = id.substring(0, id.length() - 3) + "y";
        } else if (id.endsWith("s") && !id.endsWith("ss") && id.length() > 3) {
            id = id.substring(0, id.length() - 1);
        }
        return id;
    }

    private static String fieldName(Path p, Set<String> taken) {
        Path.Step last = p.last();
        String base;
        if (last.isIndex()) {
            base = p.depth() == 1 ? "col_" + last.index() : p.lastName() + "_" + last.index();
        } else {
            base = p.lastName();
        }
        String name = identifier(base);
        if (!taken.add(name)) {
            String parent = identifier(p.parentName() + "_" + base);
            name = parent;
            for (int i = 2; !taken.add(name); i++) {
                name = parent + "_" + i;
            }
        }
        return name;
    }

    /** A lower-case identifier: {@code numBikesAvailable} → {@code num_bikes_available}. */
    static String identifier(String s) {
        String snake = s.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "_").replaceAll("^_+|_+$", "");
        if (snake.isEmpty() || !Character.isLetter(snake.charAt(0))) {
            snake = "f_" + snake;
        }
        return snake.length() > 60 ? snake.substring(0, 60) : snake;
    }

    private static String pct(double x) {
        return String.format(Locale.ROOT, "%.2f", x);
    }
}
