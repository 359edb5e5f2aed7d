// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.Cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Why a running node's server should restart, for the status report: the PostgreSQL installed is
 * not the one that runs (a package update replaced the binaries under it: new sessions load the new
 * libraries into the old server, e.g. "undefined symbol" in plpgsql.so), or settings changed in the
 * configuration wait for a restart (pg_settings.pending_restart; tmidbd writes the settings of an
 * engine installed while the node runs there).
 */
final class RestartAdvice {
    private static final String RESTART = "restart the node: tmidbd stop, then tmidbd start";

    private RestartAdvice() {
    }

    /** Lines "subsystem state detail" for what calls for a restart; none when nothing does. */
    static List<String[]> of(Cluster cluster, Connection c) throws SQLException, IOException {
        List<String[]> lines = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('server_version'), pg_postmaster_start_time(),"
                     + " (SELECT string_agg(name, ', ' ORDER BY name) FROM pg_settings WHERE pending_restart)")) {
            rs.next();
            String running = rs.getString(1);
            Instant started = rs.getTimestamp(2).toInstant();
            Path binary = Path.of(cluster.installation().program("postgres")).toRealPath();
            String installed = installedVersion(binary);
            FileTime changed = Files.getLastModifiedTime(binary);
            if (!installed.equals(running)) {
                lines.add(new String[] {"binaries", "restart", "PostgreSQL " + installed + " is installed but " + running
                        + " runs (updated under the running server): new sessions may fail to load its libraries; " + RESTART});
            } else if (changed.toInstant().isAfter(started.plus(Duration.ofSeconds(1)))) {
                lines.add(new String[] {"binaries", "restart", binary + " changed at " + changed + ", after the server started at "
                        + started + ": new sessions may fail to load its libraries; " + RESTART});
            }
            Optional.ofNullable(rs.getString(3)).ifPresent(pending -> lines.add(new String[] {"settings", "restart",
                    pending + " changed in the configuration and take effect when the server restarts; " + RESTART}));
        }
        return lines;
    }

    /** The version {@code postgres --version} reports, as server_version shows it ("15.14 (Debian 15.14-0+deb12u1)"). */
    private static String installedVersion(Path binary) throws IOException {
        Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int at = out.indexOf(") ");
        return at < 0 ? out : out.substring(at + 2);
    }
}
