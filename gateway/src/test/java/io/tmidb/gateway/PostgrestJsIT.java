// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway as an existing PostgREST client sees it: {@code src/test/js/postgrest.mjs} drives
 * {@code @supabase/postgrest-js} (pinned in package-lock.json, installed with {@code npm ci} into
 * {@code target/}) through select, filters, order, range, insert with representation, rpc (also HEAD),
 * upsert, a limited delete, maxAffected, a singular update that must roll back, counts on insert
 * and stripNulls.
 * Needs node and npm (scripts/install-deps installs them).
 */
@TmidbTest
class PostgrestJsIT {
    private static GatewayFixture gw;

    @BeforeAll
    static void start(TestDatabase db) throws SQLException {
        gw = WriteFixture.start(db).gateway();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT tmi.add_target('Bike 1', 'bike', '{\"battery\": 80, \"model\": \"city\", \"in_service\": true,"
                    + " \"tags\": {\"color\": \"red\"}}', 'B1')");
            st.execute("SELECT tmi.add_target('Bike 2', 'bike', '{\"battery\": 20, \"model\": \"cargo\", \"in_service\": false}', 'B2')");
            st.execute("SELECT tmi.add_target('Bike 3', 'bike', '{\"battery\": 55, \"model\": \"City\"}', 'B3')");
        }
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void postgrestJsWorksAgainstTheGateway() throws IOException, InterruptedException {
        Path source = Path.of(System.getProperty("tmidb.gateway.js.dir", "src/test/js"));
        Path work = Path.of("target", "postgrest-js");
        Files.createDirectories(work);
        for (String f : List.of("package.json", "package-lock.json", "postgrest.mjs")) {
            Files.copy(source.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Result install = run(work, Map.of(), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
        assertEquals(0, install.exit(), install.output());
        Result checks = run(work, Map.of("GATEWAY_URL", gw.base(), "SPEAKER_TOKEN", gw.speaker()), "node", "postgrest.mjs");
        assertEquals(0, checks.exit(), checks.output());
        assertTrue(checks.output().contains("16 ok, 0 failing"), checks.output());
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path dir, Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
