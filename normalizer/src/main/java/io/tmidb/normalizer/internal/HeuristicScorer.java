// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.internal;

/**
 * The baseline the model is measured against: what a careful hand-written rule of thumb does. A
 * role goes to the column whose member name says it ({@code id}, {@code name}, {@code time},
 * {@code lat}, {@code lon}, GeoJSON's {@code coordinates[0]}/{@code [1]}), checked against the
 * values (unique keys, readable times, coordinates in range); a time column is also recognized by
 * ISO-8601 text alone.
 */
public final class HeuristicScorer implements RoleScorer {
    @Override
    public String name() {
        return "heuristics";
    }

    @Override
    public float[][] score(float[][] features) {
        float[][] out = new float[features.length][];
        for (int i = 0; i < features.length; i++) {
            out[i] = row(features[i]);
        }
        return out;
    }

    private static float[] row(float[] f) {
        float[] p = new float[Role.values().length];
        boolean numeric = get(f, "f_number") + get(f, "f_numeric_text") > 0.9;
        boolean coordIndex = get(f, "tok_coord") > 0 && get(f, "index_in_tuple") > 0;
        if (get(f, "tok_id") > 0 && get(f, "unique") > 0.99) {
            p[Role.KEY.ordinal()] = 0.9f;
        }
        if (get(f, "tok_name") > 0 && get(f, "f_text") > 0.5) {
            p[Role.NAME.ordinal()] = 0.85f;
        }
        if (get(f, "f_time") > 0.9 && (get(f, "tok_time") > 0 || get(f, "time_pattern") > 0)) {
            p[Role.TIMESTAMP.ordinal()] = get(f, "tok_time") > 0 ? 0.9f : 0.6f;
        }
        if (numeric && get(f, "in_lat_range") > 0.99 && (get(f, "tok_lat") > 0 || get(f, "tok_y") > 0
                || coordIndex && Math.abs(get(f, "index_in_tuple") - 0.5f) < 0.01)) {
            p[Role.LAT.ordinal()] = 0.9f;
        }
        if (numeric && get(f, "in_lon_range") > 0.99 && (get(f, "tok_lon") > 0 || get(f, "tok_x") > 0
                || coordIndex && Math.abs(get(f, "index_in_tuple") - 0.25f) < 0.01)) {
            p[Role.LON.ordinal()] = 0.9f;
        }
        float max = 0;
        for (float x : p) {
            max = Math.max(max, x);
        }
        p[Role.FIELD.ordinal()] = 1 - max;
        return p;
    }

    private static float get(float[] f, String name) {
        return f[Features.NAMES.indexOf(name)];
    }
}
