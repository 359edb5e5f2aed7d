// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.error.SqlStates;
import io.tmidb.pgnotify.PromptNotifications;
import org.postgresql.PGConnection;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.WeakHashMap;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The connection pools (the primary's and any read replicas', see {@link #run(Caller, Consistency,
 * boolean, Query, Function)}) and how a request's statement runs. Like PostgREST, the request's role is
 * set with {@code set_config('role', ...)}, its JWT claims in {@code request.jwt.claims}, and reads
 * run read-only, so grants and row-level security decide. Unlike PostgREST, which pipelines
 * BEGIN, settings, statement and COMMIT, pgjdbc cannot pipeline different statements, so each
 * read is one autocommitted statement (a write: one statement in a transaction, see
 * {@link #run(Caller, Consistency, boolean, Query, Function)}, or one autocommitted statement when nothing checks
 * its answer before it commits, see {@link #write(Caller, Consistency, Sql)}) and the settings are made for the session,
 * remembered per connection, and sent again only when the next request needs others. Every statement returns the
 * session's settings as they are when it ends, so that a function which changed them (SET ROLE,
 * RESET, set_config) makes the connection forget them: the next request sets them afresh. A
 * statement that fails is rolled back with any such change.
 */
public final class Database implements AutoCloseable {
    private static final String SETUP = "SELECT set_config('role', ?, false), set_config('request.jwt.claims', ?, false),"
            + " set_config('default_transaction_read_only', ?, false)";
    /** The settings a statement ends with, appended to every statement's result row. */
    public static final String SESSION_COLUMNS = ", current_user::text, current_setting('request.jwt.claims', true),"
            + " current_setting('default_transaction_read_only')";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    private final HikariDataSource pool;
    private final ReadReplicas replicas;
    private final Map<Object, Session> sessions = new WeakHashMap<>();
    private final String url;
    private final Properties connectionProperties = new Properties();

    /** The settings of a session: role, claims and whether transactions are read-only ("on"/"off"). */
    private record Session(String role, String claims, String readOnly) {
    }

    /**
     * The pool of the primary at {@code url} and those of the read replicas at {@code readUrls}
     * (the same login; none: every statement runs on the primary), where a read of a client that
     * wrote waits up to {@code readWait} for its write to be replayed.
     */
    public Database(String url, List<String> readUrls, String user, String password, int poolSize, String applicationName,
                    Duration readWait) {
        this.pool = new HikariDataSource(poolConfig(url, user, password, poolSize, applicationName, "tmidb-gateway"));
        this.replicas = new ReadReplicas(readUrls, user, password, poolSize, applicationName, readWait);
        this.url = url;
        connectionProperties.setProperty("user", user);
        connectionProperties.setProperty("password", password);
        connectionProperties.setProperty("ApplicationName", applicationName);
        PromptNotifications.configure(connectionProperties);
    }

    /** The configuration of a pool of {@code size} autocommit connections to {@code url}. */
    static HikariConfig poolConfig(String url, String user, String password, int size, String applicationName, String name) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(size);
        cfg.setAutoCommit(true);
        cfg.setPoolName(name);
        cfg.addDataSourceProperty("ApplicationName", applicationName);
        return cfg;
    }

    /** A connection of its own, outside the pool, for a long-lived LISTEN (woken without delay, see PromptNotifications). */
    public Connection openDedicated() throws SQLException {
        return DriverManager.getConnection(url, connectionProperties);
    }

    /**
     * A dedicated connection acting as {@code tmi_admin}, for what the gateway reads on its own
     * behalf (the signing key, events, subscriptions); its login role must be a member, as the
     * authenticator is. What a listener may see is still the database's answer (e.g. tmi.events_seen).
     */
    public Connection openAsAdmin() throws SQLException {
        Connection c = openDedicated();
        try (Statement st = c.createStatement()) {
            st.execute("SET ROLE tmi_admin");
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public DataSource dataSource() {
        return pool;
    }

    /**
     * Runs a read-only or autocommitted {@code sql} (built with {@link #SESSION_COLUMNS} last) as
     * {@code caller}; a read sees what {@code consistency} asks.
     */
    public QueryResult run(Caller caller, Consistency consistency, boolean readOnly, Sql sql) {
        return run(caller, consistency, readOnly, new Query(sql, null), r -> r);
    }

    /**
     * Runs {@code query} as {@code caller} and hands its result to {@code finish}, which shapes the
     * response and may refuse it by throwing. A statement that may write runs in a transaction
     * that commits only after {@code finish} returned: anything raised after the statement (a
     * singular response that is not one row, max-affected, response shaping) rolls the write
     * back, as in PostgREST. Database errors become API errors.
     * <p>A read-only statement runs on a read replica when there are any, one that has replayed
     * {@code consistency}'s position (else on the primary, see {@link ReadReplicas}); a statement
     * that may write runs on the primary, and with replicas {@code consistency} is told the
     * primary's WAL position once it committed, which a read of the same client waits for.
     */
    public <T> T run(Caller caller, Consistency consistency, boolean readOnly, Query query, Function<QueryResult, T> finish) {
        return run(caller, consistency, readOnly, false, query, finish);
    }

    /**
     * Runs {@code sql} (built with {@link #SESSION_COLUMNS} last), which may write, as {@code caller}
     * as one autocommitted statement: one round trip to the server where a write in a transaction
     * takes two (the statement, then COMMIT). For statements whose answer needs no check before
     * they commit; the session's settings are a writer's, as for every other write.
     */
    public QueryResult write(Caller caller, Consistency consistency, Sql sql) {
        return run(caller, consistency, false, true, new Query(sql, null), r -> r);
    }

    private <T> T run(Caller caller, Consistency consistency, boolean readOnly, boolean autocommit, Query query,
                      Function<QueryResult, T> finish) {
        Session wanted = new Session(caller.role(), caller.claimsJson(), readOnly ? "on" : "off");
        try {
            Connection replica = readOnly ? replicas.connection(consistency.readAfter()) : null;
            if (replica != null) {
                try {
                    return runOn(replica, wanted, consistency, readOnly, autocommit, query, finish);
                } catch (SQLException e) {
                    if (!ReadReplicas.behindTheSchema(e)) {
                        throw e;
                    }
                    // the schema cache follows the primary: what a new schema version made there may not
                    // have reached this replica yet, and the primary answers what the cache promised
                }
            }
            return runOn(pool.getConnection(), wanted, consistency, readOnly, autocommit, query, finish);
        } catch (SQLException e) {
            throw SqlStates.from(e, caller.authenticated());
        }
    }

    /** Runs {@code query} on {@code connection}, which it closes (gives back to its pool). */
    private <T> T runOn(Connection connection, Session wanted, Consistency consistency, boolean readOnly, boolean autocommit,
                        Query query, Function<QueryResult, T> finish) throws SQLException {
        try (Connection c = connection) {
            Object physical = c.unwrap(PGConnection.class);
            if (!wanted.equals(session(physical))) {
                remember(physical, null);
                try (PreparedStatement ps = c.prepareStatement(SETUP)) {
                    ps.setString(1, wanted.role());
                    ps.setString(2, wanted.claims());
                    ps.setString(3, wanted.readOnly());
                    ps.execute();
                }
            }
            if (readOnly) {
                return finish.apply(execute(c, physical, wanted, query));
            }
            if (autocommit) {
                T out = finish.apply(execute(c, physical, wanted, query));
                tellCommitted(c, consistency);
                return out;
            }
            c.setAutoCommit(false);
            boolean committed = false;
            T out;
            try {
                out = finish.apply(execute(c, physical, wanted, query));
                c.commit();
                committed = true;
            } finally {
                if (!committed) {
                    // the session settings a function changed are rolled back too: set them afresh next time
                    remember(physical, null);
                    c.rollback();
                }
                c.setAutoCommit(true);
            }
            tellCommitted(c, consistency);
            return out;
        }
    }

    /**
     * Tells {@code consistency} where the primary's WAL ends now that the write committed: at or
     * past the commit record (the insert position, which a commit without synchronous_commit has
     * passed too). Only with replicas; without, nothing reads from a copy that could be behind.
     */
    private void tellCommitted(Connection c, Consistency consistency) {
        if (replicas.isEmpty()) {
            return;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            consistency.committed().accept(Lsn.parse(rs.getString(1)).orElseThrow());
        } catch (SQLException e) {
            // the write is committed and answered as such; only the client's next read may miss it on a replica
            LOG.warning(() -> "a write committed but its WAL position could not be read (" + e.getMessage()
                    + "): the client's next read may not see it on a read replica");
        }
    }

    private QueryResult execute(Connection c, Object physical, Session wanted, Query query) throws SQLException {
        QueryResult result;
        try (PreparedStatement ps = c.prepareStatement(query.main().text())) {
            bind(ps, query.main().params());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                Long total = nullableLong(rs, 1);
                Long inserted = rs.getMetaData().getColumnCount() > 6 ? nullableLong(rs, 7) : null;
                result = new QueryResult(total, rs.getLong(2), rs.getString(3), inserted);
                Session after = new Session(rs.getString(4), rs.getString(5), rs.getString(6));
                remember(physical, after.equals(wanted) ? wanted : null);
            }
        }
        if (query.plannedCount() == null) {
            return result;
        }
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN (FORMAT JSON) " + query.plannedCount().text())) {
            bind(ps, query.plannedCount().params());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                JsonNode plan = JSON.readTree(rs.getString(1));
                long rows = plan.path(0).path("Plan").path("Plan Rows").asLong();
                return new QueryResult(rows, result.rows(), result.body(), result.inserted());
            } catch (JsonProcessingException e) {
                throw new SQLException("EXPLAIN answered no JSON plan", e);
            }
        }
    }

    private static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private Session session(Object physical) {
        synchronized (sessions) {
            return sessions.get(physical);
        }
    }

    private void remember(Object physical, Session s) {
        synchronized (sessions) {
            if (s == null) {
                sessions.remove(physical);
            } else {
                sessions.put(physical, s);
            }
        }
    }

    private static void bind(PreparedStatement ps, List<String> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            String v = params.get(i);
            if (v == null) {
                ps.setNull(i + 1, Types.OTHER);
            } else {
                // untyped: the SQL's CAST gives each value its type
                ps.setObject(i + 1, v, Types.OTHER);
            }
        }
    }

    @Override
    public void close() {
        replicas.close();
        pool.close();
    }
}
