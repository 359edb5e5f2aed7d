// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.pgnotify.PromptNotifications;
import io.tmidb.worker.host.StoredLogicHost;
import io.tmidb.worker.connector.ConnectorScheduler;
import io.tmidb.worker.maintenance.PartitionMaintainer;
import io.tmidb.worker.relay.EventRelay;

import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tmidb-worker [--KEY=VALUE ...]}: runs every worker service until SIGTERM. Settings are
 * listed in {@link WorkerSettings.Key}; each may also come from its TMIDB_* environment variable.
 */
public final class WorkerMain {
    public static final String APP_NAME = "tmiDB-Core";

    private WorkerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> explicit = new HashMap<>();
        for (String arg : args) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                System.err.println("tmidb-worker: arguments are --KEY=VALUE; settings: "
                        + java.util.Arrays.stream(WorkerSettings.Key.values()).map(k -> k.settingName() + " (" + k.description() + ")").toList());
                System.exit(2);
            }
            explicit.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        WorkerSettings settings = WorkerSettings.of(explicit);
        ConnectionFactory db = () -> {
            Properties p = new Properties();
            p.setProperty("user", settings.get(WorkerSettings.Key.DB_USER));
            p.setProperty("password", settings.get(WorkerSettings.Key.DB_PASSWORD));
            p.setProperty("ApplicationName", APP_NAME);
            // the worker's connections wait on NOTIFY: wake without pgjdbc's extra millisecond
            return DriverManager.getConnection(settings.get(WorkerSettings.Key.DB_URL), PromptNotifications.configure(p));
        };
        Worker worker = Worker.start(new WorkerContext(db, settings), services());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                worker.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stopped.countDown();
        }));
        stopped.await();
    }

    /** Every service a worker runs. */
    public static List<WorkerService> services() {
        List<WorkerService> services = new ArrayList<>(StoredLogicHost.all());
        services.addAll(List.of(new PartitionMaintainer(), new ConnectorScheduler(), new EventRelay()));
        return List.copyOf(services);
    }
}
