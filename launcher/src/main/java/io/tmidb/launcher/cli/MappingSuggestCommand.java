// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;
import io.tmidb.normalizer.Element;
import io.tmidb.normalizer.Suggester;
import io.tmidb.normalizer.Suggestion;
import io.tmidb.normalizer.SuggestionException;
import io.tmidb.stored.mapping.Pipeline;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tmictl mapping suggest SOURCE [--apply]}: proposes a rule for the newest documents stored
 * for a source, with each element's confidence and reason, and shows what the rule makes of the
 * newest document. Runs the normalizer here (the same code tmidb-worker runs for
 * tmi.suggest_mapping), so it needs no worker. {@code --apply} registers the rule and maps the
 * source's stored documents, but never replaces a rule the source already has.
 */
@Command(name = "suggest", mixinStandardHelpOptions = true,
        description = "Propose a mapping rule for a source from its newest documents, with a preview; --apply registers it.")
final class MappingSuggestCommand implements Callable<Integer> {

    @Mixin NodeOptions node;
    @Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Parameters(index = "0", paramLabel = "SOURCE", description = "A connector or an ingest source.") String source;
    @Option(names = "--apply", description = "Register the rule (when the source has none) and map the stored documents.")
    boolean apply;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Cluster cluster = node.openCluster();
        try (Connection c = cluster.connect(node.database, TmictlCommand.CLI_APP_NAME)) {
            List<String> documents = newest(c);
            if (documents.isEmpty()) {
                err.printf("tmictl: no document stored for source \"%s\"%ntmictl: hint: let the connector fetch once"
                        + " (or tmi.ingest a document) first%n", source);
                return ExitCodes.NOT_RUNNING;
            }
            Suggestion s;
            try {
                s = Suggester.withModel().suggest(documents, source);
            } catch (SuggestionException e) {
                err.println("tmictl: no suggestion: " + e.getMessage());
                return ExitCodes.ERROR;
            }
            out.println("rule:");
            out.println(pretty(c, s.ruleJson()));
            out.println("elements:");
            for (Element e : s.elements()) {
                out.printf(Locale.ROOT, "  %-28s %4.2f%s  %s%n", e.element(), e.confidence(), e.required() ? "*" : " ", e.reason());
            }
            for (String n : s.notes()) {
                out.println("note: " + n);
            }
            out.println((s.applicable() ? "confident: " : "doubtful: ") + s.verdict());
            out.println("preview of the newest document:");
            out.println(pretty(c, Pipeline.preview(c, s.ruleJson(), documents.get(0))));
            if (!apply) {
                out.println("not applied: run again with --apply to register the rule");
                return ExitCodes.OK;
            }
            return apply(c, s, out, err);
        }
    }

    private int apply(Connection c, Suggestion s, PrintWriter out, PrintWriter err) throws SQLException {
        try (PreparedStatement has = c.prepareStatement("SELECT 1 FROM tmi.mapping_rule WHERE source = ?")) {
            has.setString(1, source);
            try (ResultSet rs = has.executeQuery()) {
                if (rs.next()) {
                    err.printf("tmictl: source \"%s\" has a rule already; a suggestion never replaces one%n"
                            + "tmictl: hint: replace it deliberately with tmictl mapping add %s --rule ...%n", source, source);
                    return ExitCodes.NOT_RUNNING;
                }
            }
        }
        try (PreparedStatement add = c.prepareStatement("SELECT tmi.add_mapping(?, CAST(? AS jsonb)), tmi.remap(?)")) {
            add.setString(1, source);
            add.setString(2, s.ruleJson());
            add.setString(3, source);
            try (ResultSet rs = add.executeQuery()) {
                rs.next();
                out.printf("applied: rule %d for %s; %d stored documents queued for mapping%n", rs.getLong(1), source, rs.getLong(2));
            }
        }
        return ExitCodes.OK;
    }

    private List<String> newest(Connection c) throws SQLException {
        List<String> docs = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT d::text FROM tmi.suggestion_documents(?) d")) {
            ps.setString(1, source);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    docs.add(rs.getString(1));
                }
            }
        }
        return docs;
    }

    private static String pretty(Connection c, String json) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT jsonb_pretty(CAST(? AS jsonb))")) {
            ps.setString(1, json);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
