// SPDX-License-Identifier: MIT
package io.tmidb.launcher.node;

import io.tmidb.cluster.Cluster;
import io.tmidb.cluster.EngineSettings;
import io.tmidb.cluster.EngineSettings.Engine;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Engines (TimescaleDB, PL/Java) installed into PostgreSQL after the node was created: their
 * settings are written into tmi_db.conf before the server starts, and when one is installed while
 * the node runs, the configuration is reloaded; an engine the server loads only at start then
 * needs a restart, which tmidbd makes itself with {@code engine-restart = true} and otherwise
 * announces (its log; tmictl status shows the setting pending a restart).
 */
public final class EngineWatch {
    private static final Logger LOG = Logger.getLogger(EngineWatch.class.getName());

    private final Cluster cluster;
    private final boolean restart;
    private List<Engine> seen = List.of();

    EngineWatch(Cluster cluster, boolean restart) {
        this.cluster = cluster;
        this.restart = restart;
    }

    /** Before the server starts, which then loads what is written. */
    void beforeStart(PrintWriter out) {
        seen = EngineSettings.installed(cluster.installation());
        writeMissing(cluster, out);
    }

    /**
     * Writes the settings of installed engines the configuration lacks and says so; {@code tmidbd
     * start} does it before it runs the supervisor, so that the operator sees it.
     */
    public static void writeMissing(Cluster cluster, PrintWriter out) {
        List<Engine> added = EngineSettings.addMissing(cluster);
        if (!added.isEmpty()) {
            String msg = "tmidbd: " + labels(added) + " installed after this node was created: its settings are now in "
                    + cluster.dataDir().resolve(Cluster.CONF_FILE);
            out.println(msg);
            out.flush();
            LOG.info(msg);
        }
    }

    /**
     * While the node runs (cheap: it looks for control files): answers whether the server must
     * restart now to load an engine installed since the last look.
     */
    boolean restartDue() {
        List<Engine> installed = EngineSettings.installed(cluster.installation());
        if (installed.equals(seen)) {
            return false;
        }
        seen = installed;
        List<Engine> added = EngineSettings.addMissing(cluster);
        if (added.isEmpty()) {
            return false;
        }
        try (Connection c = cluster.connect("postgres", Cluster.CORE_APP_NAME); Statement st = c.createStatement()) {
            st.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            LOG.warning(() -> "reloading the server's configuration: " + e + "; it is read when the server starts");
        }
        List<Engine> atStart = added.stream().filter(Engine::needsRestart).toList();
        if (atStart.isEmpty()) {
            LOG.info(() -> labels(added) + " installed: its settings are written and loaded");
            return false;
        }
        if (restart) {
            LOG.warning(() -> labels(atStart) + " installed: restarting the server to load it (engine-restart = true)");
            return true;
        }
        LOG.warning(() -> labels(atStart) + " installed: its settings are in " + Cluster.CONF_FILE + "; the server loads it"
                + " when it restarts: run 'tmidbd stop' and 'tmidbd start', or set engine-restart = true to let tmidbd restart it");
        return false;
    }

    private static String labels(List<Engine> engines) {
        return engines.stream().map(Engine::label).collect(Collectors.joining(" and "));
    }
}
