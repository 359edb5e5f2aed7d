// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tmictl storage migrate --to hypertable|partitions}: converts ts_obs to the other shape
 * with its rows, indexes, triggers, row-level security, grants and the views on it, in one
 * transaction (tmi.storage_migration_begin, _copy per partition or chunk, _finish): a failure
 * leaves ts_obs as it was. Readers go on meanwhile; writers wait until it commits.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Convert ts_obs to a TimescaleDB hypertable or to native partitions, with its data, indexes,"
                + " triggers, policies, grants and views, showing progress.")
final class StorageMigrateCommand implements Callable<Integer> {
    @Mixin NodeOptions node;
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--to", required = true, paramLabel = "SHAPE",
            description = "hypertable (TimescaleDB) or partitions (native PostgreSQL).")
    String to;

    private record Source(String name, long estimatedRows) {
    }

    @Override
    public Integer call() throws SQLException {
        PrintWriter out = spec.commandLine().getOut();
        try (Connection c = node.connect()) {
            c.setAutoCommit(false);
            try {
                List<Source> sources = begin(c);
                long estimate = sources.stream().mapToLong(Source::estimatedRows).sum();
                out.printf("migrate: ts_obs to %s: %d %s, about %d rows; writers wait until the migration commits%n",
                        to.equals("hypertable") ? "a TimescaleDB hypertable" : "native partitions", sources.size(),
                        to.equals("hypertable") ? "partitions" : "chunks", estimate);
                out.flush();
                long copied = 0;
                try (PreparedStatement copy = c.prepareStatement("SELECT tmi.storage_migration_copy(?::regclass)")) {
                    for (int i = 0; i < sources.size(); i++) {
                        copy.setString(1, sources.get(i).name());
                        try (ResultSet rs = copy.executeQuery()) {
                            rs.next();
                            copied += rs.getLong(1);
                            out.printf("migrate: %d of %d %s: %d rows (%d copied)%n", i + 1, sources.size(),
                                    sources.get(i).name(), rs.getLong(1), copied);
                            out.flush();
                        }
                    }
                }
                out.println("migrate: moving indexes, triggers, policies, grants and views to the new ts_obs");
                out.flush();
                String done;
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tmi.storage_migration_finish()")) {
                    rs.next();
                    done = rs.getString(1);
                }
                c.commit();
                out.println("migrate: " + done);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        return ExitCodes.OK;
    }

    private List<Source> begin(Connection c) throws SQLException {
        List<Source> sources = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT source::text, estimated_rows FROM tmi.storage_migration_begin(?)")) {
            ps.setString(1, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sources.add(new Source(rs.getString(1), rs.getLong(2)));
                }
            }
        }
        return sources;
    }
}
