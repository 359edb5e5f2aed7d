// SPDX-License-Identifier: MIT
package io.tmidb.gateway.internal.query;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tmidb.settings.Setting;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The read replicas of the gateway's database ({@code db-read-urls}), one connection pool each,
 * taken in turn. A read that must see a client's write (a {@link Consistency#readAfter()}) gets a
 * replica that has replayed it: one known to have, else the first that has when asked, asking again
 * every {@value #POLL_MILLIS} ms for at most {@code wait}; when none has by then, or none can be
 * reached, the caller reads from the primary. A replica that cannot be reached is left alone for
 * {@link #REST}, so that reads do not each wait for its connection timeout. The position a replica
 * replayed only grows, so the highest one seen is remembered and a read that needs no more asks
 * nothing.
 */
final class ReadReplicas implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReadReplicas.class.getName());
    private static final long POLL_MILLIS = 2;
    private static final Duration REST = Duration.ofSeconds(5);
    /** How long taking a connection of a replica may take before it counts as unreachable (HikariCP allows 250 ms at least). */
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);
    /**
     * What the server has replayed; on a server that is not (or no longer) in recovery, such as a
     * promoted replica, all it has written.
     */
    private static final String REPLAYED = "SELECT coalesce(pg_last_wal_replay_lsn(), pg_current_wal_insert_lsn())::text";
    private final List<Replica> replicas;
    private final Duration wait;
    private final AtomicInteger next = new AtomicInteger();

    private static final class Replica {
        /** The URL as logs may show it (a password in it masked). */
        final String url;
        final HikariDataSource pool;
        final AtomicLong replayed = new AtomicLong();
        /** Until when (System.nanoTime) the replica is left alone; a time already past at first. */
        volatile long restUntil = System.nanoTime();

        Replica(String url, HikariDataSource pool) {
            this.url = Setting.DB_READ_URLS.shown(url);
            this.pool = pool;
        }

        /** A connection, or null when the replica cannot be reached now (it rests then). */
        Connection open() {
            if (System.nanoTime() - restUntil < 0) {
                return null;
            }
            try {
                return pool.getConnection();
            } catch (SQLException e) {
                restUntil = System.nanoTime() + REST.toNanos();
                LOG.warning(() -> "read replica " + url + " cannot be reached (" + e.getMessage() + "); reads go to the"
                        + " other replicas or the primary for " + REST.toSeconds() + " s, then it is tried again");
                return null;
            }
        }

        /**
         * Whether the replica replayed {@code after}, asked on {@code c} (the answer is remembered);
         * when not, or when the replica fails to answer (then it rests), {@code c} is closed.
         */
        boolean hasReplayed(Connection c, long after) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(REPLAYED)) {
                rs.next();
                if (replayed.accumulateAndGet(Lsn.parse(rs.getString(1)).orElseThrow(), Math::max) >= after) {
                    return true;
                }
            } catch (SQLException e) {
                restUntil = System.nanoTime() + REST.toNanos();
                LOG.warning(() -> "read replica " + url + " failed to say what it replayed (" + e.getMessage() + ");"
                        + " reads go to the other replicas or the primary for " + REST.toSeconds() + " s");
            }
            close(c);
            return false;
        }

        private static void close(Connection c) {
            try {
                c.close();
            } catch (SQLException e) {
                // a pool's connection that fails to close is evicted by the pool
            }
        }
    }

    ReadReplicas(List<String> urls, String user, String password, int poolSize, String applicationName, Duration wait) {
        this.wait = wait;
        this.replicas = urls.stream().map(url -> {
            HikariConfig cfg = Database.poolConfig(url, user, password, poolSize, applicationName, "tmidb-gateway-replica");
            cfg.setConnectionTimeout(CONNECT_TIMEOUT.toMillis());
            // a replica that is down when the gateway starts must not keep it from serving from the primary
            cfg.setInitializationFailTimeout(-1);
            return new Replica(url, new HikariDataSource(cfg));
        }).toList();
    }

    /**
     * Whether a replica refused a read because it lacks a schema, relation, column or function
     * (SQLSTATE 3F000, 42P01, 42703, 42883): it has not replayed the schema version that made it yet.
     */
    static boolean behindTheSchema(SQLException e) {
        return Set.of("3F000", "42P01", "42703", "42883").contains(e.getSQLState());
    }

    boolean isEmpty() {
        return replicas.isEmpty();
    }

    /**
     * A connection to a replica that has replayed {@code after} (0: any replica), or null: read
     * from the primary. Interrupted while waiting, it gives up (null) and keeps the interrupt.
     */
    Connection connection(long after) {
        if (replicas.isEmpty()) {
            return null;
        }
        int first = Math.floorMod(next.getAndIncrement(), replicas.size());
        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get((first + i) % replicas.size());
            if (r.replayed.get() >= after) {
                Connection c = r.open();
                if (c != null) {
                    return c;
                }
            }
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            boolean reached = false;
            for (int i = 0; i < replicas.size(); i++) {
                Replica r = replicas.get((first + i) % replicas.size());
                Connection c = r.open();
                if (c != null) {
                    reached = true;
                    if (r.hasReplayed(c, after)) {
                        return c;
                    }
                }
            }
            if (!reached || System.nanoTime() - deadline >= 0) {
                return null;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    @Override
    public void close() {
        replicas.forEach(r -> r.pool.close());
    }
}
