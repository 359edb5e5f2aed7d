// SPDX-License-Identifier: MIT
package io.tmidb.settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a value is resolved, checked and shown (a temporary tmidb.conf, no services). */
class SettingsTest {
    @TempDir
    Path dir;

    private Path conf(String text) throws IOException {
        return Files.writeString(dir.resolve("tmidb.conf"), text);
    }

    private static Settings worker(Map<String, String> cli, Map<String, String> env, Path file) {
        return Settings.resolve(Service.WORKER, new Sources(cli, env::get, Optional.ofNullable(file).map(ConfigFile::read)));
    }

    @Test
    void commandLineThenEnvironmentThenFileThenDefault() throws IOException {
        Path file = conf("# a node\nbatch-size = 10\nsweep-interval = 'PT3S'\nrelay-window = \"7\"\nrelay-stream = FILE\n");
        Settings s = worker(Map.of("batch-size", "20"),
                Map.of("TMIDB_BATCH_SIZE", "30", "TMIDB_SWEEP_INTERVAL", "PT1S", "TMIDB_UNRELATED", "x"), file);
        assertEquals(20, s.getInt(Setting.BATCH_SIZE));
        assertEquals(Origin.COMMAND_LINE, s.value(Setting.BATCH_SIZE).orElseThrow().origin());
        assertEquals(Duration.ofSeconds(1), s.getDuration(Setting.SWEEP_INTERVAL));
        assertEquals("environment TMIDB_SWEEP_INTERVAL", s.value(Setting.SWEEP_INTERVAL).orElseThrow().origin().toString());
        assertEquals(7, s.getInt(Setting.RELAY_WINDOW));
        assertEquals(file + ":4", s.value(Setting.RELAY_WINDOW).orElseThrow().origin().toString());
        assertEquals("FILE", s.get(Setting.RELAY_STREAM));
        assertFalse(s.getBoolean(Setting.CONNECTOR_ALLOW_PRIVATE));
        assertEquals(Origin.DEFAULT, s.value(Setting.CONNECTOR_ALLOW_PRIVATE).orElseThrow().origin());
        assertEquals("TMIDB_CONNECTOR_ALLOW_PRIVATE", Setting.CONNECTOR_ALLOW_PRIVATE.envName());
    }

    @Test
    void theFileHoldsEveryProgramsKeysAndEachProgramReadsItsOwn() throws IOException {
        Path file = conf("port = 5433\nconnector-allow-private = true\ngateway-port = 3001\ncors-origins = https://a.example, *\n");
        Settings worker = worker(Map.of(), Map.of(), file);
        assertTrue(worker.getBoolean(Setting.CONNECTOR_ALLOW_PRIVATE));
        Settings gateway = Settings.resolve(Service.GATEWAY, new Sources(Map.of(), k -> null, Optional.of(ConfigFile.read(file))));
        assertEquals(3001, gateway.getInt(Setting.GATEWAY_PORT));
        assertEquals(java.util.List.of("https://a.example", "*"), gateway.getList(Setting.CORS_ORIGINS));
        // the server's port is the node's, not the gateway's
        assertThrows(IllegalArgumentException.class, () -> gateway.getInt(Setting.PORT));
        assertEquals("5433", gateway.value(Setting.PORT).orElseThrow().value());
    }

    @Test
    void aBadValueIsOneLineNamingTheKeyAndWhereItCameFrom() throws IOException {
        Path file = conf("\n\nconnector-allow-private = yes\n");
        SettingsException fromFile = assertThrows(SettingsException.class, () -> worker(Map.of(), Map.of(), file));
        assertEquals("connector-allow-private must be true or false, got 'yes' (" + file + ":3)", fromFile.getMessage());
        SettingsException fromEnv = assertThrows(SettingsException.class,
                () -> worker(Map.of(), Map.of("TMIDB_RELAY_WINDOW", "0"), null));
        assertEquals("relay-window must lie in [1, 100000], got '0' (environment TMIDB_RELAY_WINDOW)", fromEnv.getMessage());
        SettingsException fromCli = assertThrows(SettingsException.class,
                () -> worker(Map.of("sweep-interval", "5s"), Map.of(), null));
        assertEquals("sweep-interval must be an ISO-8601 duration such as PT5S, got '5s' (command line)", fromCli.getMessage());
        // a value given in a higher layer hides a bad one below it, as the lower one is never used
        assertTrue(worker(Map.of("connector-allow-private", "true"), Map.of(), file).getBoolean(Setting.CONNECTOR_ALLOW_PRIVATE));
        for (SettingsException e : new SettingsException[] {fromFile, fromEnv, fromCli}) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void unknownKeysAndMalformedLinesNameTheFileAndLine() throws IOException {
        Path unknown = conf("data-dir = /x\nshared-buffers = 4GB\n");
        assertEquals(unknown + " line 2: unknown key 'shared-buffers' (tmictl config lists every key)",
                assertThrows(SettingsException.class, () -> ConfigFile.read(unknown)).getMessage());
        Path noEquals = conf("# comment\nconnector-allow-private\n");
        assertEquals(noEquals + " line 2: expected key = value",
                assertThrows(SettingsException.class, () -> ConfigFile.read(noEquals)).getMessage());
        SettingsException missing = assertThrows(SettingsException.class,
                () -> ConfigFile.locate(Optional.empty(), Map.of(ConfigFile.ENV, dir.resolve("none.conf").toString())::get));
        assertTrue(missing.getMessage().startsWith("cannot read the configuration file " + dir.resolve("none.conf")), missing.getMessage());
        // on the command line, a key must be one the program reads
        SettingsException notMine = assertThrows(SettingsException.class, () -> worker(Map.of("gateway-port", "1"), Map.of(), null));
        assertTrue(notMine.getMessage().startsWith("unknown tmidb-worker setting 'gateway-port'; known: [nats-url, db-url"),
                notMine.getMessage());
    }

    @Test
    void theConfigOptionWinsOverTheVariable() throws IOException {
        Path named = conf("relay-stream = NAMED\n");
        Path other = Files.writeString(dir.resolve("other.conf"), "relay-stream = OTHER\n");
        Map<String, String> env = Map.of(ConfigFile.ENV, other.toString());
        assertEquals(other, ConfigFile.locate(Optional.empty(), env::get).orElseThrow().path());
        assertEquals(named, ConfigFile.locate(Optional.of(named), env::get).orElseThrow().path());
    }

    @Test
    void secretsAndCredentialsAreMaskedWhereverShown() throws IOException {
        assertEquals("****", Setting.DB_PASSWORD.shown("hunter2"));
        assertEquals("", Setting.JWT_SECRET.shown(""));
        assertEquals("nats://***@127.0.0.1:4222,tls://***@n.example:4443",
                Setting.NATS_URL.shown("nats://relay:s3cret@127.0.0.1:4222,tls://u:p@n.example:4443"));
        assertEquals("jdbc:postgresql://h/db?user=u&password=***", Setting.DB_URL.shown("jdbc:postgresql://h/db?user=u&password=pw"));
        SettingsException short_ = assertThrows(SettingsException.class, () -> Settings.resolve(Service.GATEWAY,
                Sources.of(Map.of("jwt-secret", "too-short-to-sign"))));
        assertEquals("jwt-secret must have at least 32 characters, or be empty, got '****' (command line)", short_.getMessage());
        Settings given = Settings.resolve(Service.WORKER, new Sources(Map.of("db-password", "hunter2"),
                Map.of("TMIDB_NATS_URL", "nats://relay:s3cret@127.0.0.1:4222", "TMIDB_WS_QUEUE", "5")::get, Optional.empty()));
        assertEquals("nats-url=nats://***@127.0.0.1:4222 (environment TMIDB_NATS_URL), db-password=**** (command line)", given.given());
        Path file = conf("nats-url = nats://relay:s3cret@127.0.0.1\n");
        SettingsException url = assertThrows(SettingsException.class, () -> worker(Map.of(), Map.of(), file));
        assertFalse(url.getMessage().contains("s3cret"), url.getMessage());
        assertTrue(url.getMessage().startsWith("nats-url must be like nats://127.0.0.1:4222"), url.getMessage());
    }

    @Test
    void everyKeyIsDeclaredOnceWithAValidDefault() {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (Setting s : Setting.values()) {
            assertTrue(keys.add(s.key()), s.key());
            assertTrue(s.key().matches("[a-z][a-z0-9]*(-[a-z0-9]+)*"), s.key()); // s3-endpoint: a digit in a word
            assertFalse(s.services().isEmpty(), s.key());
            s.defaultValue().ifPresent(d -> assertEquals(Optional.empty(), s.problem(d), s.key()));
        }
    }
}
