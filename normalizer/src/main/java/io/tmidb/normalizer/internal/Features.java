// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The numbers the role model reads about one column: its name's tokens, its values' types,
 * ranges and shapes, how unique they are, whether they change from one document to the next, and
 * where the column sits. The training script sees only these numbers (written by the corpus
 * dump with {@link #NAMES} as header), so this class is the one definition of what the model
 * means by them.
 */
public final class Features {
    /** Column order of the feature vector. */
    public static final List<String> NAMES = List.of(
            "present", "f_number", "f_numeric_text", "f_text", "f_bool", "f_integer", "unique",
            "in_lat_range", "in_lon_range", "decimals", "log_min", "log_max", "log_spread", "f_negative",
            "f_time", "time_epoch_s", "time_epoch_ms", "time_pattern", "text_length", "f_space", "f_letters",
            "f_digits", "f_code", "f_unit", "depth", "positional", "relative_order", "is_first", "log_columns",
            "changes", "tok_id", "tok_name", "tok_time", "tok_lat", "tok_lon", "tok_x", "tok_y", "tok_coord",
            "tok_count", "tok_flag", "index_in_tuple", "sibling_lat_lon");

    private static final Set<String> ID = Set.of("id", "key", "uid", "uuid", "guid", "code", "ident", "identifier", "ref",
            "icao24", "icao", "mmsi", "imei", "serial", "sid", "no", "nr", "num", "number");
    private static final Set<String> NAME = Set.of("name", "title", "label", "callsign", "designation", "shortname",
            "longname", "caption", "description", "desc", "display", "station", "location", "site");
    private static final Set<String> TIME = Set.of("time", "timestamp", "ts", "date", "datetime", "updated", "reported",
            "observed", "dt", "utc", "epoch", "modified", "created", "when", "at", "last", "moment", "zeit", "datum");
    private static final Set<String> LAT = Set.of("lat", "latitude", "breite", "latitud", "latitudine");
    private static final Set<String> LON = Set.of("lon", "lng", "long", "longitude", "laenge", "longitud", "longitudine");
    private static final Set<String> COORD = Set.of("coordinates", "coords", "coord", "geometry", "position", "pos",
            "point", "location", "loc", "geo", "latlng", "latlon", "lonlat", "center", "centroid");
    private static final Set<String> COUNT = Set.of("count", "num", "available", "total", "capacity", "free", "bikes",
            "docks", "spaces", "n", "qty", "quantity");
    private static final Set<String> FLAG = Set.of("is", "has", "can", "enabled", "active", "open", "installed",
            "renting", "returning", "online", "status");

    private static final java.util.regex.Pattern CODE = java.util.regex.Pattern.compile("[A-Za-z0-9_:.\\-]{1,40}");

    private Features() {
    }

    /** The feature vector of every column, in the columns' order. */
    public static float[][] of(List<Column> cols) {
        float[][] out = new float[cols.size()][];
        boolean[] latLike = new boolean[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
            out[i] = of(cols.get(i), cols.size());
            latLike[i] = out[i][NAMES.indexOf("in_lat_range")] > 0.99 && out[i][NAMES.indexOf("decimals")] > 0.25;
        }
        // a coordinate rarely comes alone: is there another well-resolved small number beside this one?
        int sibling = NAMES.indexOf("sibling_lat_lon");
        for (int i = 0; i < cols.size(); i++) {
            int others = 0;
            for (int j = 0; j < cols.size(); j++) {
                if (j != i && latLike[j] || j != i && out[j][NAMES.indexOf("in_lon_range")] > 0.99
                        && out[j][NAMES.indexOf("decimals")] > 0.25) {
                    others++;
                }
            }
            out[i][sibling] = Math.min(others, 4) / 4f;
        }
        return out;
    }

    private static float[] of(Column c, int columns) {
        float[] f = new float[NAMES.size()];
        List<JsonNode> v = c.first();
        int n = v.size();
        int present = 0;
        int numbers = 0;
        int numericText = 0;
        int texts = 0;
        int bools = 0;
        int integers = 0;
        int inLat = 0;
        int inLon = 0;
        int negative = 0;
        int withUnit = 0;
        long decimals = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        long textLength = 0;
        int spaces = 0;
        int letters = 0;
        int digits = 0;
        int codes = 0;
        Set<String> distinct = new HashSet<>();
        for (JsonNode x : v) {
            if (!Shapes.present(x)) {
                continue;
            }
            present++;
            distinct.add(x.asText());
            if (x.isBoolean() || Shapes.strictBoolean(x)) {
                bools++;
                continue;
            }
            double d = Shapes.number(x);
            if (x.isTextual()) {
                String s = x.asText();
                if (Double.isNaN(d)) {
                    texts++;
                    if (Shapes.unit(x) != null) {
                        withUnit++;
                        d = Double.NaN;
                    }
                } else {
                    numericText++;
                }
                textLength += s.length();
                spaces += s.strip().indexOf(' ') >= 0 ? 1 : 0;
                letters += s.chars().anyMatch(Character::isLetter) ? 1 : 0;
                digits += s.chars().anyMatch(Character::isDigit) ? 1 : 0;
                codes += CODE.matcher(s.strip()).matches() && s.chars().anyMatch(Character::isDigit) ? 1 : 0;
            } else if (x.isNumber()) {
                numbers++;
            }
            if (!Double.isNaN(d)) {
                integers += d == Math.rint(d) && Shapes.decimals(x) == 0 ? 1 : 0;
                inLat += Math.abs(d) <= 90 ? 1 : 0;
                inLon += Math.abs(d) <= 180 ? 1 : 0;
                negative += d < 0 ? 1 : 0;
                decimals += Math.min(Shapes.decimals(x), 10);
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
        }
        int numeric = numbers + numericText;
        double p = Math.max(present, 1);
        set(f, "present", present / (double) Math.max(n, 1));
        set(f, "f_number", numbers / p);
        set(f, "f_numeric_text", numericText / p);
        set(f, "f_text", texts / p);
        set(f, "f_bool", bools / p);
        set(f, "f_integer", numeric == 0 ? 0 : integers / (double) numeric);
        set(f, "unique", distinct.size() / p);
        set(f, "in_lat_range", numeric == 0 ? 0 : inLat / (double) numeric);
        set(f, "in_lon_range", numeric == 0 ? 0 : inLon / (double) numeric);
        set(f, "decimals", numeric == 0 ? 0 : decimals / (double) numeric / 10);
        set(f, "log_min", numeric == 0 ? 0 : slog(min));
        set(f, "log_max", numeric == 0 ? 0 : slog(max));
        set(f, "log_spread", numeric == 0 ? 0 : Math.log10(1 + (max - min)));
        set(f, "f_negative", numeric == 0 ? 0 : negative / (double) numeric);
        TimeGuess t = TimeGuess.of(v);
        if (t != null) {
            set(f, "f_time", t.share());
            set(f, "time_epoch_s", t.format().equals("epoch_s") ? 1 : 0);
            set(f, "time_epoch_ms", t.format().equals("epoch_ms") ? 1 : 0);
            set(f, "time_pattern", t.format().equals("pattern") || t.format().equals("iso8601") ? 1 : 0);
        }
        int textual = texts + numericText + withUnit;
        double tx = Math.max(textual, 1);
        set(f, "text_length", Math.min(textLength / tx / 40, 2));
        set(f, "f_space", spaces / tx);
        set(f, "f_letters", letters / tx);
        set(f, "f_digits", digits / tx);
        set(f, "f_code", codes / tx);
        set(f, "f_unit", withUnit / p);
        set(f, "depth", c.path().depth());
        Path.Step last = c.path().last();
        boolean positional = last != null && last.isIndex();
        set(f, "positional", positional && c.path().depth() == 1 ? 1 : 0);
        set(f, "relative_order", c.order() / (double) Math.max(columns - 1, 1));
        set(f, "is_first", c.order() == 0 ? 1 : 0);
        set(f, "log_columns", Math.log10(1 + columns));
        set(f, "changes", changes(c));
        Set<String> own = tokens(positional ? "" : c.path().lastName());
        set(f, "tok_id", any(own, ID));
        set(f, "tok_name", any(own, NAME));
        set(f, "tok_time", any(own, TIME));
        set(f, "tok_lat", any(own, LAT) + within(own, "latitude", "lat"));
        set(f, "tok_lon", any(own, LON) + within(own, "longitude", "lon", "lng"));
        set(f, "tok_x", own.contains("x") ? 1 : 0);
        set(f, "tok_y", own.contains("y") ? 1 : 0);
        set(f, "tok_coord", positional && c.path().depth() > 1 ? any(tokens(c.path().lastName()), COORD)
                : any(tokens(c.path().parentName()), COORD));
        set(f, "tok_count", any(own, COUNT));
        set(f, "tok_flag", any(own, FLAG));
        set(f, "index_in_tuple", positional && c.path().depth() > 1 ? Math.min(last.index(), 4) / 4.0 + 0.25 : 0);
        return f;
    }

    /** The part of the items (matched by position) whose value differs between the first two documents; -1 with one. */
    private static double changes(Column c) {
        if (c.values().size() < 2) {
            return -1;
        }
        List<JsonNode> a = c.values().get(0);
        List<JsonNode> b = c.values().get(1);
        int n = Math.min(a.size(), b.size());
        if (n == 0) {
            return -1;
        }
        int changed = 0;
        for (int i = 0; i < n; i++) {
            JsonNode x = a.get(i);
            JsonNode y = b.get(i);
            changed += (x == null ? y != null : !x.equals(y)) ? 1 : 0;
        }
        return changed / (double) n;
    }

    /** The lower-case words of a member name: {@code lastReported}, {@code last_reported}, {@code last-reported}. */
    public static Set<String> tokens(String name) {
        Set<String> out = new HashSet<>();
        String spaced = name.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
        for (String t : spaced.split("[^a-z0-9]+")) {
            if (!t.isEmpty()) {
                out.add(t);
                String letters = t.replaceAll("[0-9]+$", "");
                if (!letters.isEmpty()) {
                    out.add(letters);
                }
            }
        }
        return out;
    }

    /** 0.5 when a word holds {@code word} ({@code satlatitude}) or ends with a short form ({@code geolat}), else 0. */
    private static double within(Set<String> tokens, String word, String... endings) {
        for (String t : tokens) {
            if (t.length() > word.length() && t.contains(word)) {
                return 0.5;
            }
            for (String e : endings) {
                if (t.length() > e.length() + 1 && t.endsWith(e)) {
                    return 0.5;
                }
            }
        }
        return 0;
    }

    private static double any(Set<String> tokens, Set<String> vocabulary) {
        for (String t : tokens) {
            if (vocabulary.contains(t)) {
                return 1;
            }
        }
        return 0;
    }

    private static double slog(double x) {
        return Math.signum(x) * Math.log10(1 + Math.abs(x));
    }

    private static void set(float[] f, String name, double value) {
        f[NAMES.indexOf(name)] = (float) value;
    }
}
