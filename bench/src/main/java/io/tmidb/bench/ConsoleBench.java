// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.tmidb.gateway.Gateway;
import io.tmidb.gateway.GatewaySettings;
import io.tmidb.stored.schema.SchemaVersions;
import io.tmidb.testkit.ScratchCluster;
import io.tmidb.testkit.Sql;
import io.tmidb.testkit.TestDatabase;

import java.io.File;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;

/**
 * {@code bench/run ConsoleBench [points] [targets]}: the console's budgets, measured in Debian's
 * Chromium by gateway/console/test/budgets.bench.mjs against a gateway over a target holding
 * {@code points} readings (default 1,000,000, two a second up to now) and a kind of {@code targets}
 * targets (default 100,000). Each figure is printed beside a baseline of the same run (a target of
 * 1,000 readings, a table of 1,000 targets, the gateway's bare JSON answer) and its budget: first
 * load, JavaScript gzipped, the chart ready, long tasks while the table scrolls.
 */
public final class ConsoleBench {
    private ConsoleBench() {
    }

    public static void main(String[] args) throws Exception {
        int points = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int targets = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Path console = Path.of(System.getProperty("tmidb.console.dir", "gateway/console"));
        try (ScratchCluster scratch = ScratchCluster.start()) {
            TestDatabase db = scratch.createDatabase("consolebench", false);
            String big;
            String small;
            byte[] secret;
            long started = System.nanoTime();
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                big = Sql.scalar(c, "SELECT tmi.add_target('big', 'probe', '{}', 'P-BIG')");
                small = Sql.scalar(c, "SELECT tmi.add_target('small', 'probe', '{}', 'P-SMALL')");
                // one reading through the front door registers the field; the rest are written in bulk
                st.execute("SELECT tmi.observe('" + small + "', now() - interval '1000 seconds', '{\"value\": 0}')");
                st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) SELECT '" + small + "', now() - s * interval '1 second',"
                        + " jsonb_build_object('value', round(sin(s / 50.0)::numeric, 3)) FROM generate_series(1, 999) s");
                // two a second, so that a million fit in the week that tmi.maintain_partitions gives partitions
                st.execute("INSERT INTO tmi.ts_obs (target_id, ts, payload) SELECT '" + big + "', now() - s * interval '500 milliseconds',"
                        + " jsonb_build_object('value', round(sin(s / 5000.0)::numeric, 3)) FROM generate_series(0, " + (points - 1) + ") s");
                st.execute("SELECT tmi.maintain_partitions()");
                st.execute("SELECT tmi.add_target('meter ' || n, 'meter', jsonb_build_object('site', n % 7),"
                        + " format('M-%s', lpad(n::text, 6, '0'))) FROM generate_series(1, " + targets + ") n");
                st.execute("SELECT tmi.add_target('gauge ' || n, 'gauge', jsonb_build_object('site', n % 7),"
                        + " format('G-%s', lpad(n::text, 6, '0'))) FROM generate_series(1, 1000) n");
                st.execute("ANALYZE");
                // made on first use: read (and committed) before the transaction below
                try (ResultSet rs = st.executeQuery("SELECT tmi.jwt_secret()")) {
                    rs.next();
                    secret = rs.getBytes(1);
                }
                c.setAutoCommit(false);
                SchemaVersions.apply(c, Sql.column(c, "SELECT pending_id FROM tmi.schema_pending").stream()
                        .mapToLong(Long::parseLong).toArray());
                c.commit();
            }
            System.out.printf("ConsoleBench: %,d readings, %,d targets, loaded in %.0f s, %d CPUs%n", points, targets,
                    (System.nanoTime() - started) / 1e9, Runtime.getRuntime().availableProcessors());
            GatewaySettings settings = GatewaySettings.of(Map.of("gateway-port", "0", "db-url", db.cluster().jdbcUrl(db.name()),
                    "db-user", "postgres", "db-password", db.cluster().superuserPassword()));
            try (Gateway gateway = Gateway.start(settings)) {
                String token = JWT.create().withClaim("role", "tmi_admin").withExpiresAt(Instant.now().plusSeconds(3600))
                        .sign(Algorithm.HMAC256(secret));
                ProcessBuilder pb = new ProcessBuilder("node", "test/budgets.bench.mjs").directory(console.toFile()).inheritIO()
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().putAll(Map.of("TMIDB_URL", "http://127.0.0.1:" + gateway.port(), "TMIDB_TOKEN", token,
                        "TMIDB_BIG", big, "TMIDB_SMALL", small));
                int exit = pb.start().waitFor();
                if (exit != 0) {
                    throw new IllegalStateException("budgets.bench.mjs exited " + exit);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
