// SPDX-License-Identifier: MIT
package io.tmidb.gateway;

import io.tmidb.settings.Service;
import io.tmidb.settings.ServiceCommand;
import io.tmidb.settings.Setting;
import picocli.CommandLine;

import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * {@code tmidb-gateway [--config FILE] [--KEY=VALUE ...]}: serves the REST API until SIGTERM. Its
 * settings are the keys of {@link Setting} it reads, from the command line, {@code TMIDB_<KEY>} or
 * tmidb.conf. Exit codes: 2 bad options or settings, 1 the database could not be reached.
 */
public final class GatewayMain {
    private static final Logger LOG = Logger.getLogger(GatewayMain.class.getName());

    private GatewayMain() {
    }

    public static void main(String[] args) {
        int code = commandLine(System::getenv).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** The gateway's command line over the environment {@code env}. */
    public static CommandLine commandLine(Function<String, String> env) {
        return ServiceCommand.commandLine(Service.GATEWAY, "Serves tmiDB's REST API and WebSocket streams until SIGTERM.", env,
                sources -> serve(new GatewaySettings(sources)));
    }

    private static int serve(GatewaySettings settings) throws InterruptedException {
        LOG.info(() -> "settings given: " + settings.given());
        Gateway gateway;
        try {
            gateway = Gateway.start(settings);
        } catch (SQLException e) {
            System.err.println("tmidb-gateway: cannot reach the database at " + Setting.DB_URL.shown(settings.get(Setting.DB_URL))
                    + ": " + e.getMessage() + " (check db-url, db-user, db-password)");
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }
}
