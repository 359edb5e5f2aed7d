// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tmidb.connector.ConnectorSpec;
import io.tmidb.connector.FetchException;
import io.tmidb.connector.FetchPolicy;
import io.tmidb.connector.Fetcher;
import io.tmidb.connector.Poller;
import io.tmidb.settings.Setting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * {@code tmictl connector test NAME}: fetches the connector's URL once, with the worker's own
 * fetching code and default limits, and prints the document that would land in raw_bucket and,
 * when the connector has a mapping rule, what the rule would make of it. It writes nothing: no
 * document, no run state. It sends no conditional headers, so a source
 * answers with its current content rather than 304.
 */
@Command(name = "test", mixinStandardHelpOptions = true,
        description = "Fetch a connector once and print the raw document it would store and what its mapping rule"
                + " would make of it; writes nothing.")
final class ConnectorTestCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin NodeOptions node;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "The connector's name.")
    String name;

    @Option(names = "--allow-private", arity = "0..1", paramLabel = "true|false",
            description = "Allow loopback, private, link-local and metadata addresses (default: the setting"
                    + " connector-allow-private, as the worker reads it: env TMIDB_CONNECTOR_ALLOW_PRIVATE or tmidb.conf).")
    Boolean allowPrivate;

    @Override
    public Integer call() throws SQLException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConnectorSpec connector;
        try (Connection c = node.connect();
             PreparedStatement ps = c.prepareStatement("SELECT " + ConnectorSpec.COLUMNS + " FROM tmi.ingest_connector WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    err.println("tmictl: error: connector \"" + name + "\" does not exist");
                    err.println("tmictl: hint: see tmictl connector list");
                    return ExitCodes.USAGE;
                }
                connector = ConnectorSpec.from(rs);
            }
        }
        ConnectorSpec unconditional = new ConnectorSpec(connector.id(), connector.name(), connector.url(), connector.every(),
                connector.format(), connector.options(), null, null);
        boolean allow = allowPrivate != null ? allowPrivate : ConfigDefaults.of(spec).getBoolean(Setting.CONNECTOR_ALLOW_PRIVATE);
        Poller.Outcome outcome;
        try {
            outcome = new Poller(new Fetcher(FetchPolicy.defaults().withAllowPrivate(allow)), Clock.systemUTC()).poll(unconditional);
        } catch (FetchException e) {
            err.println("tmictl: error: connector " + name + ": " + e.getMessage());
            return ExitCodes.ERROR;
        }
        if (outcome.notModified()) { // only a server ignoring the absent validators does this
            out.println("connector " + name + " (id " + connector.id() + "): HTTP 304 Not Modified; no document");
            out.flush();
            return ExitCodes.OK;
        }
        out.println("connector " + name + " (id " + connector.id() + "): GET " + outcome.document().get("url").asText()
                + " -> HTTP " + outcome.httpStatus() + ", " + outcome.contentType());
        out.println("raw document as it would be stored in tmi.raw_bucket (nothing was written):");
        String document;
        try {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(outcome.document()));
            document = JSON.writeValueAsString(outcome.document());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a parsed document always serializes", e);
        }
        try (Connection c = node.connect();
             PreparedStatement ps = c.prepareStatement("SELECT rule::text FROM tmi.mapping_rule WHERE source = ? AND enabled")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    out.println("no mapping rule for source \"" + name + "\": the document would stay unmapped"
                            + " (add one with tmictl mapping add " + name + " --rule ...)");
                } else {
                    out.println("what the mapping rule would make of it (nothing was written):");
                    try (PreparedStatement pretty = c.prepareStatement("SELECT jsonb_pretty(CAST(? AS jsonb))")) {
                        pretty.setString(1, io.tmidb.stored.mapping.Pipeline.preview(c, rs.getString(1), document));
                        try (ResultSet p = pretty.executeQuery()) {
                            p.next();
                            out.println(p.getString(1));
                        }
                    }
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
