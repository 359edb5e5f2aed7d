// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tmidb.gateway.internal.auth.Caller;
import io.tmidb.gateway.internal.error.SqlStates;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;

/**
 * The connection pool and the per-request transaction, as PostgREST runs it: the request's role
 * and JWT claims are set transaction-locally ({@code set_config('role', ..., true)},
 * {@code request.jwt.claims}), reads run read-only, and the statement commits or rolls back whole.
 */
public final class Database implements AutoCloseable {
    private static final String SETUP = "SELECT set_config('role', ?, true), set_config('request.jwt.claims', ?, true),"
            + " set_config('transaction_read_only', ?, true)";
    private final HikariDataSource pool;

    public Database(String url, String user, String password, int poolSize, String applicationName) {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(poolSize);
        cfg.setAutoCommit(false);
        cfg.setPoolName("tmidb-gateway");
        cfg.addDataSourceProperty("ApplicationName", applicationName);
        this.pool = new HikariDataSource(cfg);
    }

    public DataSource dataSource() {
        return pool;
    }

    /** Runs {@code sql} in a transaction as {@code caller}; database errors become API errors. */
    public QueryResult run(Caller caller, boolean readOnly, Sql sql) {
        try (Connection c = pool.getConnection()) {
            try {
                try (PreparedStatement ps = c.prepareStatement(SETUP)) {
                    ps.setString(1, caller.role());
                    ps.setString(2, caller.claimsJson());
                    ps.setString(3, readOnly ? "on" : "off");
                    ps.execute();
                }
                QueryResult result;
                try (PreparedStatement ps = c.prepareStatement(sql.text())) {
                    bind(ps, sql.params());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        long total = rs.getLong(1);
                        result = new QueryResult(rs.wasNull() ? null : total, rs.getLong(2), rs.getString(3));
                    }
                }
                c.commit();
                return result;
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw SqlStates.from(e, caller.authenticated());
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
        pool.close();
    }
}
