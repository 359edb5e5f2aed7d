// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tmidb-gateway [--KEY=VALUE ...]}: serves the REST API until SIGTERM. Settings are listed
 * in {@link GatewaySettings.Key}; each may also come from its TMIDB_* environment variable.
 * Exit codes: 2 bad settings, 1 the database could not be reached.
 */
public final class GatewayMain {
    private GatewayMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> explicit = new HashMap<>();
        for (String arg : args) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                usage();
            }
            explicit.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        GatewaySettings settings;
        try {
            settings = GatewaySettings.of(explicit);
        } catch (IllegalArgumentException e) {
            System.err.println("tmidb-gateway: " + e.getMessage());
            System.exit(2);
            return;
        }
        Gateway gateway;
        try {
            gateway = Gateway.start(settings);
        } catch (SQLException e) {
            System.err.println("tmidb-gateway: cannot reach the database at " + settings.get(GatewaySettings.Key.DB_URL)
                    + ": " + e.getMessage() + " (check db-url, db-user, db-password)");
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            stopped.countDown();
        }));
        stopped.await();
    }

    private static void usage() {
        System.err.println("tmidb-gateway: arguments are --KEY=VALUE; settings: " + Arrays.stream(GatewaySettings.Key.values())
                .map(k -> k.settingName() + " (" + k.description() + ")").toList());
        System.exit(2);
    }
}
