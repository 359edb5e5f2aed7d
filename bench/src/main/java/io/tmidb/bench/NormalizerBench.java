// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tmidb.normalizer.Suggester;
import io.tmidb.normalizer.Suggestion;
import io.tmidb.normalizer.SuggestionException;
import io.tmidb.normalizer.eval.FeedCase;
import io.tmidb.normalizer.eval.Grader;
import io.tmidb.normalizer.eval.Grader.Check;
import io.tmidb.normalizer.eval.Grader.Grade;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The normalizer on its evaluation set ({@code normalizer/eval}: feed shapes training never saw):
 * per-role accuracy and end-to-end success (the suggested rule maps at least 95 % of the items as
 * the person's rule does) for the role model and for the heuristics-only baseline, in the same
 * run; then the time to suggest a rule for a 1 MB document once the model is loaded, against the
 * baseline's. No database: both suggesters are pure Java.
 *
 * <p>{@code bench/run NormalizerBench [eval-dir] [timing-rounds]}
 */
public final class NormalizerBench {
    private NormalizerBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "normalizer/eval");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        List<FeedCase> cases = FeedCase.readAll(dir);
        Suggester model = Suggester.withModel();
        Suggester baseline = Suggester.heuristicsOnly();
        long t0 = System.nanoTime();
        Suggester.preload();
        System.out.printf(Locale.ROOT, "model loaded in %.0f ms; %d evaluation feeds from %s; load average %s%n",
                (System.nanoTime() - t0) / 1e6, cases.size(), dir, Machine.loadAverage());
        Map<Check, int[]> modelChecks = new EnumMap<>(Check.class);
        Map<Check, int[]> baseChecks = new EnumMap<>(Check.class);
        int modelOk = 0;
        int baseOk = 0;
        System.out.printf(Locale.ROOT, "%-30s %-28s %-28s%n", "feed", "model (items alike)", "heuristics (items alike)");
        for (FeedCase c : cases) {
            Grade m = grade(model, c, modelChecks);
            Grade b = grade(baseline, c, baseChecks);
            modelOk += m.success() ? 1 : 0;
            baseOk += b.success() ? 1 : 0;
            System.out.printf(Locale.ROOT, "%-30s %-28s %-28s%n", c.name(), verdict(m), verdict(b));
            if (!m.success()) {
                System.out.println("    model: " + m.firstDifference());
            }
        }
        System.out.printf(Locale.ROOT, "%n%-14s %10s %12s%n", "role", "model", "heuristics");
        for (Check k : Check.values()) {
            System.out.printf(Locale.ROOT, "%-14s %10s %12s%n", k.name().toLowerCase(Locale.ROOT), share(modelChecks.get(k)),
                    share(baseChecks.get(k)));
        }
        System.out.printf(Locale.ROOT, "%-14s %10s %12s%n", "end-to-end", share(new int[] {modelOk, cases.size()}),
                share(new int[] {baseOk, cases.size()}));

        String big = megabyteDocument();
        double[] ms = time(List.of(model, baseline), big, rounds);
        System.out.printf(Locale.ROOT, "%nsuggestion for a %.2f MB document (%d rounds each, interleaved, median): model %.1f ms,"
                + " heuristics %.1f ms, ratio %.2f; load average %s%n", big.length() / 1e6, rounds, ms[0], ms[1], ms[0] / ms[1],
                Machine.loadAverage());
    }

    private static Grade grade(Suggester s, FeedCase c, Map<Check, int[]> total) {
        ObjectNode rule;
        try {
            rule = s.suggest(c.documentTexts(), null).rule();
        } catch (SuggestionException e) {
            rule = null;
        }
        Grade g = Grader.grade(c, rule);
        g.checks().forEach((k, v) -> {
            int[] t = total.computeIfAbsent(k, x -> new int[2]);
            t[0] += v[0];
            t[1] += v[1];
        });
        return g;
    }

    private static String verdict(Grade g) {
        return (g.success() ? "ok   " : "FAIL ") + String.format(Locale.ROOT, "%3.0f %%", g.itemShare() * 100);
    }

    private static String share(int[] v) {
        return v == null || v[1] == 0 ? "-" : String.format(Locale.ROOT, "%d/%d %3.0f%%", v[0], v[1], 100.0 * v[0] / v[1]);
    }

    /** A GBFS-like station feed of about 1 MB. */
    private static String megabyteDocument() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = json.createObjectNode();
        doc.put("last_updated", 1795780800L);
        ArrayNode stations = doc.putObject("data").putArray("stations");
        for (int i = 0; i % 500 != 0 || doc.toString().length() < 1_000_000; i++) {
            ObjectNode s = stations.addObject();
            s.put("station_id", "st-" + (100000 + i));
            s.put("name", "Station " + i + " Main St");
            s.put("lat", 48.8 + (i % 997) / 10000.0);
            s.put("lon", 2.3 + (i % 991) / 10000.0);
            s.put("num_bikes_available", i % 17);
            s.put("num_docks_available", i % 23);
            s.put("is_renting", i % 9 == 0 ? 0 : 1);
            s.put("last_reported", 1795780800L - i % 600);
            s.put("address", "Rue " + i + ", 750" + (i % 20) + " Paris");
        }
        return doc.toString();
    }

    /** Median time of each suggester, their rounds interleaved so that load on the machine hits both alike. */
    private static double[] time(List<Suggester> suggesters, String doc, int rounds) throws SuggestionException {
        List<String> docs = List.of(doc);
        double[][] ms = new double[suggesters.size()][rounds];
        for (int i = -3; i < rounds; i++) {
            for (int k = 0; k < suggesters.size(); k++) {
                long t = System.nanoTime();
                Suggestion x = suggesters.get(k).suggest(docs, "bench");
                if (i >= 0) {
                    ms[k][i] = (System.nanoTime() - t) / 1e6;
                }
                if (x.rule().isEmpty()) {
                    throw new IllegalStateException("empty rule");
                }
            }
        }
        double[] medians = new double[suggesters.size()];
        for (int k = 0; k < suggesters.size(); k++) {
            Arrays.sort(ms[k]);
            medians[k] = ms[k][rounds / 2];
        }
        return medians;
    }
}
