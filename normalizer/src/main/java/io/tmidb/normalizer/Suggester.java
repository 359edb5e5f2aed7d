// SPDX-License-Identifier: MIT
package io.tmidb.normalizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.tmidb.normalizer.SuggestionException.Code;
import io.tmidb.normalizer.internal.Assignment;
import io.tmidb.normalizer.internal.Column;
import io.tmidb.normalizer.internal.DocumentReader;
import io.tmidb.normalizer.internal.Features;
import io.tmidb.normalizer.internal.HeuristicScorer;
import io.tmidb.normalizer.internal.ItemSet;
import io.tmidb.normalizer.internal.ModelScorer;
import io.tmidb.normalizer.internal.RoleScorer;
import io.tmidb.normalizer.internal.RuleWriter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Proposes the mapping rule of a feed from one or more of its documents (newest first; two or
 * more tell attributes from observations). It finds the items, lists the scalar values in them
 * (columns), scores each column's role (key, name, timestamp, lat, lon, or an ordinary field) with
 * the role model, assigns one column per role under the rule's constraints and types every other
 * field. Nothing is written anywhere: the caller decides whether to apply the rule.
 *
 * <p>Input is bounded: at most {@link #MAX_DOCUMENTS} documents, each read by
 * {@link DocumentReader} (sampled past fixed sizes, refused past {@link DocumentReader#MAX_BYTES}
 * or {@link DocumentReader#MAX_DEPTH} levels).
 */
public final class Suggester {
    public static final int MAX_DOCUMENTS = 5;

    private final RoleScorer scorer;

    private Suggester(RoleScorer scorer) {
        this.scorer = scorer;
    }

    /** The suggester with the role model (loaded once per process, on first use). */
    public static Suggester withModel() {
        return new Suggester(new ModelScorer());
    }

    /** The heuristics-only baseline the model is measured against. */
    public static Suggester heuristicsOnly() {
        return new Suggester(new HeuristicScorer());
    }

    /** Loads the model now rather than at the first suggestion. */
    public static void preload() throws SuggestionException {
        try {
            ModelScorer.load();
        } catch (RoleScorer.ScoringException e) {
            throw new SuggestionException(Code.MODEL, e.getMessage(), e);
        }
    }

    public Suggestion suggest(List<String> documents, String source) throws SuggestionException {
        List<byte[]> bytes = new ArrayList<>();
        documents.forEach(d -> bytes.add(d.getBytes(StandardCharsets.UTF_8)));
        return suggestBytes(bytes, source);
    }

    /**
     * Suggests a rule for documents of {@code source} (used to name the kind when the items' array
     * has a generic name; may be null).
     */
    public Suggestion suggestBytes(List<byte[]> documents, String source) throws SuggestionException {
        if (documents.isEmpty()) {
            throw new SuggestionException(Code.NO_DOCUMENT, "no document to suggest from");
        }
        List<String> notes = new ArrayList<>();
        if (documents.size() > MAX_DOCUMENTS) {
            notes.add("sampled: the newest " + MAX_DOCUMENTS + " of " + documents.size() + " documents were read");
            documents = documents.subList(0, MAX_DOCUMENTS);
        }
        List<JsonNode> docs = new ArrayList<>();
        for (byte[] d : documents) {
            docs.add(DocumentReader.read(d, notes));
        }
        ItemSet items = ItemSet.find(docs);
        if (items.first().isEmpty()) {
            throw new SuggestionException(Code.NO_DOCUMENT, "the newest document has no items at " + items.iterate());
        }
        if (items.first().size() > Column.MAX_ITEMS) {
            notes.add("sampled: " + Column.MAX_ITEMS + " of " + items.first().size() + " items, spread over the document, were read");
        }
        List<Column> cols = Column.of(items, notes);
        float[][] features = Features.of(cols);
        float[][] p;
        try {
            p = scorer.score(features);
        } catch (RoleScorer.ScoringException e) {
            throw new SuggestionException(Code.MODEL, e.getMessage(), e);
        }
        Assignment a = Assignment.of(cols, features, p);
        if (a == null) {
            throw new SuggestionException(Code.NO_KEY, "no value is present and unique in every item at " + items.iterate()
                    + ": the items have no key to tell them apart; write the rule by hand");
        }
        if (a.time() == null) {
            notes.add("no timestamp found: readings will be timed by the document's arrival");
        }
        if (docs.size() < 2) {
            notes.add("one document: every field is suggested as an observation; suggest from two or more to find attributes");
        }
        RuleWriter.Written w = RuleWriter.write(items, cols, features, a, source, scorer.name());
        return new Suggestion(w.rule(), w.elements(), notes, scorer.name());
    }
}
