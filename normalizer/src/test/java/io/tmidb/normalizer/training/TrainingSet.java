// SPDX-License-Identifier: MIT
package io.tmidb.normalizer.training;

import io.tmidb.normalizer.eval.FeedCase;
import io.tmidb.normalizer.eval.Grader;
import io.tmidb.normalizer.internal.Column;
import io.tmidb.normalizer.internal.DocumentReader;
import io.tmidb.normalizer.internal.Features;
import io.tmidb.normalizer.internal.ItemSet;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes the training set as CSV on standard output: one row per column of each generated feed,
 * {@code case,label,<features>}, with the features computed by the same code that serves
 * suggestions ({@link Features}) from documents read the same way ({@link DocumentReader}).
 * Usage: {@code TrainingSet CASES SEED}. Run by {@code normalizer/train/train.sh}.
 */
public final class TrainingSet {
    private TrainingSet() {
    }

    public static void main(String[] args) throws Exception {
        int cases = Integer.parseInt(args[0]);
        long seed = Long.parseLong(args[1]);
        Corpus corpus = new Corpus(seed);
        java.util.Random sizes = new java.util.Random(seed + 1);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        out.println("case,label," + String.join(",", Features.NAMES));
        int skipped = 0;
        for (int k = 0; k < cases; k++) {
            FeedCase c = corpus.next(4 + sizes.nextInt(60));
            List<String> notes = new ArrayList<>();
            List<com.fasterxml.jackson.databind.JsonNode> docs = new ArrayList<>();
            for (String d : c.documentTexts()) {
                docs.add(DocumentReader.read(d, notes));
            }
            ItemSet items = ItemSet.find(docs);
            if (!items.iterate().equals(c.rule().path("iterate").asText())) {
                skipped++;
                continue;
            }
            List<Column> cols = Column.of(items, notes);
            float[][] f = Features.of(cols);
            for (int i = 0; i < cols.size(); i++) {
                StringBuilder row = new StringBuilder().append(k).append(',')
                        .append(Grader.roleOf(c.rule(), cols.get(i).path()).ordinal());
                for (float x : f[i]) {
                    row.append(',').append(String.format(Locale.ROOT, "%.6g", x));
                }
                out.println(row);
            }
        }
        out.flush();
        System.err.println("cases " + cases + ", skipped (items not found) " + skipped);
    }
}
