// SPDX-License-Identifier: MIT
package io.tmidb.extension;

import io.tmidb.cluster.PgInstallation;
import io.tmidb.testkit.TestDatabase;
import io.tmidb.testkit.TmidbTest;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The extension's PGXS build, run as its users run it, with the {@code pg_config} of the test kit's
 * private copy of the installation (which holds the extension from the Maven build), so nothing is
 * written to the system's directories: {@code make} assembles the same full script as Maven, and
 * {@code make installcheck} runs pg_regress over {@code extension/sql/*.sql} against the test
 * cluster, comparing with {@code extension/expected/*.out}. Make builds in {@code target/pgxs}
 * (a VPATH build), where pg_regress leaves {@code results/} and {@code regression.diffs}.
 */
@TmidbTest
class SqlRegressionIT {
    private static final Path EXTENSION_DIR = Path.of(System.getProperty("tmidb.extension.dir", "../extension"))
            .toAbsolutePath().normalize();
    private static final Path BUILD_DIR = Path.of("target", "pgxs").toAbsolutePath();

    @Test
    void makeAssemblesTheFullScriptMavenPackaged(TestDatabase db) throws Exception {
        PgInstallation pg = db.cluster().installation();
        // -B: a script left in the source directory by an earlier "make" would otherwise count as built
        Make made = make(db, "-B", "all");
        assertEquals(0, made.exitCode(), made.output());
        String script = "tmidb--" + System.getProperty("tmidb.extension.version", "0.2") + ".sql";
        assertTrue(Files.exists(BUILD_DIR.resolve(script)), made.output());
        assertArrayEquals(Files.readAllBytes(pg.extensionDir().resolve(script)), Files.readAllBytes(BUILD_DIR.resolve(script)),
                "make's " + script + " differs from the one Maven built");
    }

    @Test
    void installcheckGivesTheExpectedOutput(TestDatabase db) throws Exception {
        Make check = make(db, "installcheck", "CONTRIB_TESTDB=" + db.name() + "_regression");
        Path diffs = BUILD_DIR.resolve("regression.diffs");
        String detail = check.output() + (Files.exists(diffs) ? Files.readString(diffs) : "");
        assertEquals(0, check.exitCode(), detail);
        assertTrue(check.output().contains("All ") && check.output().contains(" tests passed"), detail);
    }

    /** Runs make on extension/Makefile in {@link #BUILD_DIR}, as a client of the test cluster. */
    private static Make make(TestDatabase db, String... targets) throws IOException, InterruptedException {
        Files.createDirectories(BUILD_DIR);
        List<String> cmd = new ArrayList<>(List.of("make", "-f", EXTENSION_DIR.resolve("Makefile").toString(),
                "PG_CONFIG=" + db.cluster().installation().program("pg_config")));
        cmd.addAll(List.of(targets));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(BUILD_DIR.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.putAll(db.cluster().clientEnv("postgres", TestDatabase.TEST_APP_NAME));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(cmd + " timed out");
        }
        return new Make(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private record Make(int exitCode, String output) {
    }
}
