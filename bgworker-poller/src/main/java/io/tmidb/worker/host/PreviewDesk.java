// SPDX-License-Identifier: MIT
package io.tmidb.worker.host;

import io.tmidb.connector.Fetcher;
import io.tmidb.connector.Poller;
import io.tmidb.settings.Setting;
import io.tmidb.stored.Ids;
import io.tmidb.worker.WorkerContext;
import io.tmidb.worker.WorkerService;
import io.tmidb.worker.connector.ConnectorScheduler;
import io.tmidb.pgnotify.ListenLoop;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Answers what a caller waits for in SQL (tmi.ask_worker): tmi.mapping_preview on the worker host,
 * tmi.suggest_mapping and tmi.test_connector on either host. On a connection of its own it holds a few tickets:
 * request ids reserved with tmi.reserve_preview_ticket, each with its advisory lock held. A caller
 * queues its request under one of them and waits for that lock; the desk answers (PreviewRequests,
 * SuggestRequests, FetchRequests), commits, and only then releases the lock, so the caller wakes when its answer
 * is there, without polling. Were the worker gone, its locks would go with its connection and the
 * caller would learn it at once. On the PL/Java host previews run in the server and never come
 * here; suggestions always do, since the role model runs in this JVM, and so do test fetches, made
 * with the scheduled runs' fetching code and limits.
 */
public final class PreviewDesk implements WorkerService {
    /** How many previews may wait for an answer at once. */
    static final int TICKETS = 16;

    @Override
    public String name() {
        return "previews";
    }

    @Override
    public void run(WorkerContext context) throws Exception {
        Duration sweep = context.settings().getDuration(Setting.SWEEP_INTERVAL);
        Poller poller = new Poller(new Fetcher(ConnectorScheduler.policy(context.settings())), Clock.systemUTC());
        ListenLoop.named(name()).listen("tmi_preview").opener(context.database()::open).stopping(context::stopping)
                .whileDown("previews fail at once until it is back (no tickets)").build()
                .run((c, wakeups) -> {
                    Set<Long> tickets = new TreeSet<>(); // held by this connection: a new one holds none
                    while (!wakeups.stopping()) {
                        while (tickets.size() < TICKETS) {
                            tickets.add(reserve(c));
                        }
                        Asked asked = asked(c, tickets);
                        if (asked.any()) {
                            answer(c, asked, poller);
                            for (long id : asked.all()) {
                                release(c, id);
                                tickets.remove(id);
                            }
                        } else {
                            wakeups.await(sweep); // a request, or the sweep
                        }
                    }
                });
    }

    /** The unanswered requests under this desk's tickets, by task. */
    private record Asked(List<Long> previews, List<Long> suggestions, List<Long> fetches) {
        boolean any() {
            return !previews.isEmpty() || !suggestions.isEmpty() || !fetches.isEmpty();
        }

        List<Long> all() {
            List<Long> all = new ArrayList<>(previews);
            all.addAll(suggestions);
            all.addAll(fetches);
            return all;
        }
    }

    private static void answer(Connection c, Asked asked, Poller poller) throws SQLException, InterruptedException {
        c.setAutoCommit(false);
        try {
            if (!asked.previews().isEmpty()) {
                PreviewRequests.answer(c, asked.previews().stream().mapToLong(Long::longValue).toArray());
            }
            if (!asked.suggestions().isEmpty()) {
                SuggestRequests.answer(c, asked.suggestions().stream().mapToLong(Long::longValue).toArray());
            }
            if (!asked.fetches().isEmpty()) {
                FetchRequests.answer(c, asked.fetches().stream().mapToLong(Long::longValue).toArray(), poller);
            }
            c.commit(); // before the locks go: a caller that wakes finds its answer
        } catch (SQLException | InterruptedException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** The tickets a request was queued under and not yet answered, by task. */
    private static Asked asked(Connection c, Set<Long> tickets) throws SQLException {
        Asked asked = new Asked(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        if (tickets.isEmpty()) {
            return asked;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT request_id, task FROM tmi.preview_request"
                + " WHERE request_id = ANY(CAST(? AS bigint[])) AND result IS NULL AND error IS NULL ORDER BY request_id")) {
            ps.setString(1, Ids.toArrayLiteral(tickets.stream().mapToLong(Long::longValue).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    (switch (rs.getString(2)) {
                        case "preview" -> asked.previews();
                        case "fetch" -> asked.fetches();
                        default -> asked.suggestions();
                    }).add(rs.getLong(1));
                }
            }
        }
        return asked;
    }

    private static long reserve(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT tmi.reserve_preview_ticket()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void release(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT tmi.release_preview_ticket(?)")) {
            ps.setLong(1, id);
            ps.execute();
        }
    }
}
