// SPDX-License-Identifier: MIT
package io.tmidb.worker.connector;

import io.tmidb.connector.ConnectorSpec;
import io.tmidb.connector.Poller;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The connector rows as the scheduler uses them: claim due connectors, record each run.
 *
 * <p>A claim stamps {@code last_attempt} (the claim's token) and moves {@code next_run} past a
 * lease, so other workers skip the connector while it is fetched and a worker that dies
 * mid-fetch delays it by the lease only. A result is recorded only while the row still carries
 * the token and the configuration it was fetched with: a connector dropped, changed or claimed
 * again meanwhile discards the stale result rather than storing it.
 */
final class ConnectorStore {
    /** A claimed connector: what to fetch, the token of this claim and its failures so far. */
    record Claim(ConnectorSpec spec, String token, int failures, String optionsText) {
    }

    private static final String CLAIM = "WITH due AS (SELECT connector_id AS due_id FROM tmi.ingest_connector"
            + " WHERE enabled AND next_run <= now() ORDER BY next_run LIMIT ? FOR UPDATE SKIP LOCKED)"
            + " UPDATE tmi.ingest_connector c SET last_attempt = clock_timestamp(), next_run = clock_timestamp() + ?::interval"
            + " FROM due WHERE c.connector_id = due.due_id"
            + " RETURNING " + ConnectorSpec.COLUMNS + ", last_attempt::text AS token, consecutive_failures";
    private static final String SAME_RUN = " WHERE connector_id = ? AND last_attempt = ?::timestamptz AND enabled"
            + " AND url = ? AND format = ? AND options = ?::jsonb";
    private static final String SUCCESS = "UPDATE tmi.ingest_connector SET last_success = ?, last_status = ?,"
            + " last_error = NULL, consecutive_failures = 0, next_run = clock_timestamp() + ?::interval,"
            + " etag = CASE WHEN ? THEN etag ELSE ? END, last_modified = CASE WHEN ? THEN last_modified ELSE ? END" + SAME_RUN;
    private static final String FAILURE = "UPDATE tmi.ingest_connector SET last_status = ?, last_error = ?,"
            + " consecutive_failures = consecutive_failures + 1, next_run = clock_timestamp() + ?::interval" + SAME_RUN;
    private static final String STORE = "INSERT INTO tmi.raw_bucket (ts, source, connector_id, payload, http_status, content_type)"
            + " VALUES (?, ?, ?, ?::jsonb, ?, ?)";
    private static final String NEXT_DUE = "SELECT extract(epoch FROM min(next_run) - now()) * 1000"
            + " FROM tmi.ingest_connector WHERE enabled";

    private ConnectorStore() {
    }

    static List<Claim> claimDue(Connection c, int limit, Duration lease) throws SQLException {
        List<Claim> claims = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
            ps.setInt(1, limit);
            ps.setString(2, interval(lease));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    claims.add(new Claim(ConnectorSpec.from(rs), rs.getString("token"), rs.getInt("consecutive_failures"),
                            rs.getString("options")));
                }
            }
        }
        return claims;
    }

    /** Milliseconds until the next enabled connector is due (negative when overdue), or -1 when none is enabled. */
    static long millisUntilNextDue(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(NEXT_DUE); ResultSet rs = ps.executeQuery()) {
            rs.next();
            double ms = rs.getDouble(1);
            return rs.wasNull() ? -1 : (long) Math.max(0, ms);
        }
    }

    /**
     * Records a successful run and, unless the server answered 304, stores its document, in one
     * transaction. Returns false when the result was stale and nothing was written.
     */
    static boolean recordSuccess(Connection c, Claim claim, Poller.Outcome o, Duration next) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            int updated;
            try (PreparedStatement ps = c.prepareStatement(SUCCESS)) {
                ps.setTimestamp(1, Timestamp.from(o.fetchedAt()));
                ps.setInt(2, o.httpStatus());
                ps.setString(3, interval(next));
                ps.setBoolean(4, o.notModified());
                ps.setString(5, o.etag());
                ps.setBoolean(6, o.notModified());
                ps.setString(7, o.lastModified());
                sameRun(ps, 8, claim);
                updated = ps.executeUpdate();
            }
            if (updated == 1 && !o.notModified()) {
                try (PreparedStatement ps = c.prepareStatement(STORE)) {
                    ps.setTimestamp(1, Timestamp.from(o.fetchedAt()));
                    ps.setString(2, claim.spec().name());
                    ps.setLong(3, claim.spec().id());
                    ps.setString(4, o.document().toString());
                    ps.setInt(5, o.httpStatus());
                    ps.setString(6, o.contentType());
                    ps.executeUpdate();
                }
            }
            c.commit();
            return updated == 1;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** Records a failed run; returns false when the result was stale and nothing was written. */
    static boolean recordFailure(Connection c, Claim claim, Integer httpStatus, String error, Duration next) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(FAILURE)) {
            if (httpStatus == null) {
                ps.setNull(1, java.sql.Types.INTEGER);
            } else {
                ps.setInt(1, httpStatus);
            }
            ps.setString(2, error);
            ps.setString(3, interval(next));
            sameRun(ps, 4, claim);
            return ps.executeUpdate() == 1;
        }
    }

    private static void sameRun(PreparedStatement ps, int first, Claim claim) throws SQLException {
        ps.setLong(first, claim.spec().id());
        ps.setString(first + 1, claim.token());
        ps.setString(first + 2, claim.spec().url());
        ps.setString(first + 3, claim.spec().format());
        ps.setString(first + 4, claim.optionsText());
    }

    private static String interval(Duration d) {
        return d.toMillis() + " milliseconds";
    }
}
