// SPDX-License-Identifier: MIT
package io.tmidb.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The server settings of the engines tmiDB uses when they are installed into PostgreSQL:
 * TimescaleDB must be preloaded ({@code shared_preload_libraries}, loaded only when the server
 * starts), PL/Java needs the JVM to run ({@code pljava.libjvm_location}, read when a session first
 * uses Java). A new cluster gets the settings of the engines installed then; {@link #addMissing}
 * gives an existing one the settings of engines installed since.
 */
public final class EngineSettings {
    private static final String PRELOAD = "shared_preload_libraries";

    /** An engine: its extension, its name for people, and whether the server must restart to load it. */
    public enum Engine {
        TIMESCALEDB("timescaledb", "TimescaleDB", true),
        PLJAVA("pljava", "PL/Java", false);

        private final String extension;
        private final String label;
        private final boolean needsRestart;

        Engine(String extension, String label, boolean needsRestart) {
            this.extension = extension;
            this.label = label;
            this.needsRestart = needsRestart;
        }

        public String label() {
            return label;
        }

        public boolean needsRestart() {
            return needsRestart;
        }
    }

    private EngineSettings() {
    }

    /** The engines whose extension is installed in {@code pg}. */
    public static List<Engine> installed(PgInstallation pg) {
        return Arrays.stream(Engine.values()).filter(e -> pg.hasExtension(e.extension)).toList();
    }

    /** The settings of every installed engine, for a new cluster's configuration. */
    public static List<String> forNewCluster(PgInstallation pg) {
        List<String> lines = new ArrayList<>();
        for (Engine e : installed(pg)) {
            lines.addAll(lines(e, ""));
        }
        return lines;
    }

    /**
     * Appends to the cluster's {@value Cluster#CONF_FILE} the settings of the installed engines its
     * configuration lacks, as the server reads it (all its files, {@code postgres -C}), whether or
     * not the server runs; a library already preloaded stays preloaded. Answers the engines added.
     */
    public static List<Engine> addMissing(Cluster cluster) {
        List<Engine> added = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        List<Engine> engines = installed(cluster.installation());
        if (engines.isEmpty()) {
            return added;
        }
        Optional<String> preload = cluster.configuredSetting(PRELOAD);
        for (Engine e : engines) {
            if (!configured(e, key -> key.equals(PRELOAD) ? preload : cluster.configuredSetting(key))) {
                added.add(e);
                lines.addAll(lines(e, preload.orElse("")));
            }
        }
        if (!added.isEmpty()) {
            cluster.appendConfiguration("engines installed after this node was created: "
                    + String.join(", ", added.stream().map(Engine::label).toList()), lines);
        }
        return added;
    }

    /** Whether the configuration read through {@code setting} (empty: not set) has what {@code e} needs. */
    static boolean configured(Engine e, Function<String, Optional<String>> setting) {
        return switch (e) {
            case TIMESCALEDB -> setting.apply(PRELOAD).map(EngineSettings::libraries).orElse(List.of()).contains("timescaledb");
            case PLJAVA -> setting.apply("pljava.libjvm_location").filter(v -> !v.isBlank()).isPresent();
        };
    }

    /** The lines that configure {@code e}, given the libraries the server preloads already. */
    static List<String> lines(Engine e, String preloaded) {
        return switch (e) {
            case TIMESCALEDB -> {
                List<String> libraries = new ArrayList<>(libraries(preloaded));
                libraries.add("timescaledb");
                yield List.of(PRELOAD + " = '" + String.join(",", libraries) + "'",
                        "timescaledb.license = 'apache'",
                        "timescaledb.telemetry_level = off");
            }
            case PLJAVA -> List.of(
                    // PL/Java runs on the JVM that runs tmidbd (Java 17)
                    "pljava.libjvm_location = '" + Path.of(System.getProperty("java.home"), "lib", "server", "libjvm.so") + "'",
                    // Java 17 needs the security manager allowed for PL/Java to load jars
                    "pljava.vmoptions = '-Djava.security.manager=allow'");
        };
    }

    private static List<String> libraries(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
