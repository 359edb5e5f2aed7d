// SPDX-License-Identifier: MIT
package io.tmidb.worker;

import io.tmidb.pgnotify.PromptNotifications;
import io.tmidb.settings.Service;
import io.tmidb.settings.ServiceCommand;
import io.tmidb.settings.Setting;
import io.tmidb.worker.host.StoredLogicHost;
import io.tmidb.worker.connector.ConnectorScheduler;
import io.tmidb.worker.maintenance.FileJanitor;
import io.tmidb.worker.maintenance.PartitionMaintainer;
import io.tmidb.worker.relay.EventRelay;
import picocli.CommandLine;

import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * {@code tmidb-worker [--config FILE] [--KEY=VALUE ...]}: runs every worker service until SIGTERM.
 * Its settings are the keys of {@link Setting} it reads, from the command line, {@code TMIDB_<KEY>}
 * or tmidb.conf; a bad one stops it at start with one line and exit code 2.
 */
public final class WorkerMain {
    public static final String APP_NAME = "tmiDB-Core";
    private static final Logger LOG = Logger.getLogger(WorkerMain.class.getName());

    private WorkerMain() {
    }

    public static void main(String[] args) {
        int code = commandLine(System::getenv).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** The worker's command line over the environment {@code env}. */
    public static CommandLine commandLine(Function<String, String> env) {
        return ServiceCommand.commandLine(Service.WORKER, "Runs tmiDB's worker: stored logic, connectors, partitions, the"
                + " object store's cleanup and the event relay, until SIGTERM.", env, sources -> run(new WorkerSettings(sources)));
    }

    private static int run(WorkerSettings settings) throws InterruptedException {
        LOG.info(() -> "settings given: " + settings.given());
        Worker worker = Worker.start(new WorkerContext(database(settings), settings), services());
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
        return 0;
    }

    /**
     * The worker's connections: to {@code db-url} as {@code db-user}. A URL naming several servers
     * ({@code jdbc:postgresql://db1:5432,db2:5432/tmidb?targetServerType=primary}) connects to the
     * one that takes writes, so that every service's next connection after a failure finds the
     * primary after a replica was promoted (docs/scaling.md, "Promoting a replica").
     */
    public static ConnectionFactory database(WorkerSettings settings) {
        return () -> {
            Properties p = new Properties();
            p.setProperty("user", settings.get(Setting.DB_USER));
            p.setProperty("password", settings.get(Setting.DB_PASSWORD));
            p.setProperty("ApplicationName", APP_NAME);
            // the worker's connections wait on NOTIFY: wake without pgjdbc's extra millisecond
            return DriverManager.getConnection(settings.get(Setting.DB_URL), PromptNotifications.configure(p));
        };
    }

    /** Every service a worker runs. */
    public static List<WorkerService> services() {
        List<WorkerService> services = new ArrayList<>(StoredLogicHost.all());
        services.addAll(List.of(new PartitionMaintainer(), new FileJanitor(), new ConnectorScheduler(), new EventRelay()));
        return List.copyOf(services);
    }
}
