// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which column plays which role, decided from the scorer's probabilities under the rule's
 * constraints: one column per role, a key unique within each document and present in every item,
 * a readable timestamp, a latitude within [-90, 90] paired with a different longitude column.
 * A role whose best column scores below {@link #MIN_SCORE} is left out (the rule does without it).
 *
 * @param key the key column (never null)
 * @param keyScore its probability
 * @param name, time, lat, lon the other roles' columns, or null
 */
public record Assignment(Column key, double keyScore, Column name, double nameScore, Column time, TimeGuess timeGuess,
                         double timeScore, Column lat, Column lon, double latScore, double lonScore) {
    public static final double MIN_SCORE = 0.4;
    /** A column is taken for a coordinate when P(lat) + P(lon) reaches this. */
    public static final double MIN_COORDINATE = 0.5;

    /** Assigns the roles; null when no column can be the key. */
    public static Assignment of(List<Column> cols, float[][] features, float[][] p) {
        int unique = Features.NAMES.indexOf("unique");
        int present = Features.NAMES.indexOf("present");
        // a key is stable: where documents share items, prefer columns whose values recur in the next document
        double bestStability = 0;
        for (int i = 0; i < cols.size(); i++) {
            bestStability = Math.max(bestStability, stability(cols.get(i)));
        }
        int key = -1;
        double candidates = 0;
        for (int i = 0; i < cols.size(); i++) {
            if (features[i][present] >= 0.999 && features[i][unique] >= 0.999 && identifierValues(cols.get(i))
                    && uniqueInEachDocument(cols.get(i)) && stability(cols.get(i)) >= bestStability / 2) {
                candidates += p[i][Role.KEY.ordinal()];
                if (key < 0 || p[i][Role.KEY.ordinal()] > p[key][Role.KEY.ordinal()]) {
                    key = i;
                }
            }
        }
        if (key < 0) {
            return null;
        }
        // only few columns can be keys at all: how clearly the best beats them, damped where the model doubts it
        double keyP = p[key][Role.KEY.ordinal()];
        double keyScore = candidates == 0 ? 0 : Math.min(1, keyP / candidates * (0.5 + keyP));
        Set<Integer> used = new HashSet<>();
        used.add(key);

        // a position is a pair of coordinate columns; which is which is decided by the pair's best order
        int lat = -1;
        int lon = -1;
        double best = 0;
        double swapped = 0;
        for (int i = 0; i < cols.size(); i++) {
            if (used.contains(i) || !coordinates(cols.get(i), 90) || coordinate(p[i]) < MIN_COORDINATE) {
                continue;
            }
            for (int j = 0; j < cols.size(); j++) {
                if (j == i || used.contains(j) || !coordinates(cols.get(j), 180) || coordinate(p[j]) < MIN_COORDINATE) {
                    continue;
                }
                double pair = p[i][Role.LAT.ordinal()] + p[j][Role.LON.ordinal()];
                if (pair > best) {
                    best = pair;
                    swapped = coordinates(cols.get(j), 90) ? p[j][Role.LAT.ordinal()] + p[i][Role.LON.ordinal()] : 0;
                    lat = i;
                    lon = j;
                }
            }
        }
        double order = best == 0 ? 0 : best / (best + swapped);
        if (lat >= 0) {
            used.add(lat);
            used.add(lon);
        }

        int time = -1;
        TimeGuess guess = null;
        for (int i = 0; i < cols.size(); i++) {
            if (used.contains(i) || p[i][Role.TIMESTAMP.ordinal()] < MIN_SCORE
                    || time >= 0 && p[i][Role.TIMESTAMP.ordinal()] <= p[time][Role.TIMESTAMP.ordinal()]) {
                continue;
            }
            TimeGuess g = TimeGuess.of(cols.get(i).first());
            if (g != null) {
                time = i;
                guess = g;
            }
        }
        if (time >= 0) {
            used.add(time);
        }

        int name = -1;
        int text = Features.NAMES.indexOf("f_text");
        for (int i = 0; i < cols.size(); i++) {
            if (!used.contains(i) && features[i][text] >= 0.8 && p[i][Role.NAME.ordinal()] >= MIN_SCORE
                    && (name < 0 || p[i][Role.NAME.ordinal()] > p[name][Role.NAME.ordinal()])) {
                name = i;
            }
        }
        return new Assignment(cols.get(key), keyScore,
                name < 0 ? null : cols.get(name), name < 0 ? 0 : p[name][Role.NAME.ordinal()],
                time < 0 ? null : cols.get(time), guess, time < 0 ? 0 : p[time][Role.TIMESTAMP.ordinal()] * guess.share(),
                lat < 0 ? null : cols.get(lat), lon < 0 ? null : cols.get(lon),
                lat < 0 ? 0 : Math.min(1, coordinate(p[lat])) * order, lon < 0 ? 0 : Math.min(1, coordinate(p[lon])) * order);
    }

    private static double coordinate(float[] p) {
        return p[Role.LAT.ordinal()] + p[Role.LON.ordinal()];
    }

    /** The columns that play a role. */
    public Set<Column> roles() {
        Set<Column> s = new HashSet<>();
        for (Column c : new Column[] {key, name, time, lat, lon}) {
            if (c != null) {
                s.add(c);
            }
        }
        return s;
    }

    /** Strings or whole numbers: what a key can be (a float or a boolean cannot). */
    private static boolean identifierValues(Column c) {
        for (List<JsonNode> doc : c.values()) {
            for (JsonNode v : doc) {
                if (v == null || !(v.isTextual() && !v.asText().isBlank() || v.isIntegralNumber())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The part of the second document's values already in the first (1 with one document). */
    private static double stability(Column c) {
        if (c.values().size() < 2) {
            return 1;
        }
        Set<String> first = new HashSet<>();
        for (JsonNode v : c.values().get(0)) {
            if (v != null && v.isValueNode()) {
                first.add(v.asText().strip());
            }
        }
        int seen = 0;
        int n = 0;
        for (JsonNode v : c.values().get(1)) {
            if (v != null && v.isValueNode()) {
                n++;
                seen += first.contains(v.asText().strip()) ? 1 : 0;
            }
        }
        return n == 0 ? 0 : seen / (double) n;
    }

    private static boolean uniqueInEachDocument(Column c) {
        for (List<JsonNode> doc : c.values()) {
            Set<String> seen = new HashSet<>();
            for (JsonNode v : doc) {
                if (v != null && !seen.add(v.asText().strip())) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean coordinates(Column c, double limit) {
        int n = 0;
        for (JsonNode v : c.first()) {
            if (!Shapes.present(v)) {
                continue;
            }
            double d = Shapes.number(v);
            if (Double.isNaN(d) || Math.abs(d) > limit) {
                return false;
            }
            n++;
        }
        return n > 0;
    }
}
