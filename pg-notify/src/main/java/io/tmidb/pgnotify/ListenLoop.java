// SPDX-License-Identifier: MIT
package io.tmidb.pgnotify;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.core.Utils;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The LISTEN/sweep/reconnect loop of every service that waits on NOTIFY: opens a connection,
 * LISTENs on its channels and runs the {@link Body}, which does its work and waits for
 * notifications (or the sweep) through {@link Wakeups}. When the connection fails, the loop
 * reconnects after a {@link Backoff}, by the failure's SQLSTATE class: an authentication failure
 * (class 28) will not heal by retrying, so the loop stops and throws {@link LoginRefusedException}
 * with a message that says what to fix; every other failure (08 connection, 57P shutdown, 53
 * resources, ...) is retried. A RuntimeException of the body ends {@link #run} (its caller
 * supervises; {@link #start} does). One WARNING per outage, one INFO when it is over; the body runs again
 * on the new connection, so it must make up there for what it may have missed (it is told nothing
 * about the lost notifications).
 */
public final class ListenLoop {
    /** Opens a connection (in autocommit mode) for the loop; the loop closes it. */
    @FunctionalInterface
    public interface Opener {
        Connection open() throws SQLException;
    }

    /** The work on one connection: runs until {@link Wakeups#stopping()}; an SQLException ends the connection. */
    @FunctionalInterface
    public interface Body {
        void run(Connection connection, Wakeups wakeups) throws SQLException, InterruptedException;
    }

    private static final Logger LOG = Logger.getLogger(ListenLoop.class.getName());
    /** pgjdbc's wait for notifications ignores interrupts: waits are sliced to notice a stop this soon. */
    private static final int STOP_CHECK_MS = 250;
    private final String name;
    private final List<String> channels;
    private final Opener opener;
    private final BooleanSupplier stopping;
    private final Duration firstPause;
    private final Duration maxPause;
    private final String whileDown;
    private volatile boolean closed;

    private ListenLoop(Builder b) {
        this.name = Objects.requireNonNull(b.name, "name");
        this.channels = List.copyOf(b.channels);
        this.opener = Objects.requireNonNull(b.opener, "opener");
        this.stopping = b.stopping;
        this.firstPause = b.firstPause;
        this.maxPause = b.maxPause;
        this.whileDown = b.whileDown;
    }

    /** A loop named {@code name} in its log lines (e.g. {@code relay}). */
    public static Builder named(String name) {
        return new Builder(name);
    }

    /**
     * Runs {@code body} on connection after connection until stopped (returns) or refused a login
     * (throws {@link LoginRefusedException}), on the calling thread.
     */
    public void run(Body body) throws InterruptedException {
        Backoff backoff = new Backoff(firstPause, maxPause);
        boolean down = false;
        while (!stopped()) {
            long started = System.nanoTime();
            try (Connection c = opener.open()) {
                try (Statement st = c.createStatement()) {
                    for (String channel : channels) {
                        st.execute("LISTEN " + Utils.escapeIdentifier(null, channel));
                    }
                }
                if (down) {
                    int attempts = backoff.failures();
                    LOG.info(() -> name + ": connected again after " + attempts + " failed attempt(s)");
                    down = false;
                }
                body.run(c, new Wakeups(c.unwrap(PGConnection.class)));
            } catch (SQLException e) {
                if (stopped()) {
                    return;
                }
                String state = e.getSQLState() == null ? "" : e.getSQLState();
                if (state.startsWith("28")) {
                    throw new LoginRefusedException(name + ": the database refused the login (SQLSTATE " + state + ": "
                            + e.getMessage() + "). Not retrying: a refused login does not heal by itself. Fix the user or"
                            + " password this service connects with (or pg_hba.conf) and start it again.", e);
                }
                if (Duration.ofNanos(System.nanoTime() - started).compareTo(maxPause) > 0) {
                    backoff.reset(); // it had worked for a while: this is a new outage
                }
                Duration pause = backoff.next();
                if (backoff.failures() == 1) {
                    down = true;
                    LOG.log(Level.WARNING, name + ": " + failure(e, state) + (whileDown.isEmpty() ? "" : "; " + whileDown)
                            + ". Reconnecting with pauses up to " + maxPause.toMillis() / 1000.0 + " s.", e);
                } else {
                    LOG.log(Level.FINE, e, () -> name + ": attempt " + backoff.failures() + " failed");
                }
                sleep(pause);
            }
        }
    }

    /** What went wrong, for the warning: the connection (classes 08, 57P, 53) or the work on it. */
    private static String failure(SQLException e, String state) {
        boolean connection = state.startsWith("08") || state.startsWith("57P") || state.startsWith("53") || state.isEmpty();
        return (connection ? "lost its database connection" : "its database work failed") + " (SQLSTATE " + state + ": "
                + e.getMessage() + ")";
    }

    /**
     * Runs the loop on a daemon thread of its own, as its supervisor: a refused login is logged
     * (SEVERE) and ends the thread; a RuntimeException of the body (a defect) is logged and the
     * loop runs again after a pause.
     */
    public Thread start(Body body) {
        Thread t = new Thread(() -> {
            Backoff backoff = new Backoff(firstPause, maxPause);
            while (!stopped()) {
                try {
                    run(body);
                } catch (LoginRefusedException e) {
                    LOG.log(Level.SEVERE, e.getMessage(), e.getCause());
                    return;
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    Duration pause = backoff.next();
                    LOG.log(Level.WARNING, e, () -> name + ": failed (" + e + "); running it again in " + pause.toMillis() + " ms");
                    try {
                        sleep(pause);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }, "tmidb-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Stops the loop: the body sees {@link Wakeups#stopping()} within a quarter of a second. */
    public void close() {
        closed = true;
    }

    private boolean stopped() {
        return closed || stopping.getAsBoolean() || Thread.currentThread().isInterrupted();
    }

    private void sleep(Duration pause) throws InterruptedException {
        long end = System.nanoTime() + pause.toNanos();
        for (long left = pause.toMillis(); left > 0 && !stopped(); left = (end - System.nanoTime()) / 1_000_000) {
            Thread.sleep(Math.min(left, STOP_CHECK_MS));
        }
    }

    /** The notifications of the loop's connection, and whether the loop is stopping. */
    public final class Wakeups {
        private final PGConnection connection;

        private Wakeups(PGConnection connection) {
            this.connection = connection;
        }

        /** True once the loop is asked to stop: the body returns. */
        public boolean stopping() {
            return stopped();
        }

        /**
         * Waits up to {@code timeout} for notifications on the loop's channels and returns those
         * that came (none: the timeout passed, the sweep is due, or the loop is stopping).
         */
        public List<PGNotification> await(Duration timeout) throws SQLException {
            long end = System.nanoTime() + timeout.toNanos();
            while (!stopped()) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                // 0 would mean "forever" to pgjdbc
                PGNotification[] got = connection.getNotifications((int) Math.max(1, Math.min(left, STOP_CHECK_MS)));
                if (got != null && got.length > 0) {
                    return List.of(got);
                }
            }
            return List.of();
        }

        /** The notifications that arrived already, without waiting. */
        public List<PGNotification> pending() throws SQLException {
            PGNotification[] got = connection.getNotifications();
            return got == null ? List.of() : List.of(got);
        }
    }

    /** Validating builder of a {@link ListenLoop}. */
    public static final class Builder {
        private final String name;
        private List<String> channels = List.of();
        private Opener opener;
        private BooleanSupplier stopping = () -> false;
        private Duration firstPause = Duration.ofMillis(250);
        private Duration maxPause = Duration.ofSeconds(30);
        private String whileDown = "";

        private Builder(String name) {
            this.name = name;
        }

        /** The channels to LISTEN on (none: the loop only reconnects and sweeps). */
        public Builder listen(String... channels) {
            this.channels = List.of(channels);
            return this;
        }

        public Builder opener(Opener opener) {
            this.opener = opener;
            return this;
        }

        /** Asked between waits: true ends the loop (besides {@link ListenLoop#close()} and an interrupt). */
        public Builder stopping(BooleanSupplier stopping) {
            this.stopping = Objects.requireNonNull(stopping);
            return this;
        }

        /** The pauses between reconnection attempts: from {@code first}, doubling up to {@code max}. */
        public Builder pauses(Duration first, Duration max) {
            if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
                throw new IllegalArgumentException("pauses must be positive and max at least first: " + first + ", " + max);
            }
            this.firstPause = first;
            this.maxPause = max;
            return this;
        }

        /** Completes the warning of an outage: what happens meanwhile (e.g. "events wait in tmi.event_log"). */
        public Builder whileDown(String consequence) {
            this.whileDown = Objects.requireNonNull(consequence);
            return this;
        }

        public ListenLoop build() {
            return new ListenLoop(this);
        }
    }
}
