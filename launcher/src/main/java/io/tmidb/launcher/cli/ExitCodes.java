// SPDX-License-Identifier: MIT
package io.tmidb.launcher.cli;

import io.tmidb.cluster.ClusterException;
import io.tmidb.settings.Service;
import io.tmidb.settings.SettingsException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import picocli.CommandLine;

import java.sql.SQLException;
import java.util.List;
import java.util.function.Function;

/**
 * The exit codes of tmidbd and tmictl, and the one place that turns an exception into a message
 * and an exit code: 0 ok, 1 error, 2 bad input, 3 not in the expected state (e.g. not running),
 * 4 internal error (with a stack trace).
 */
public final class ExitCodes implements CommandLine.IExecutionExceptionHandler {
    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;
    public static final int NOT_RUNNING = 3;
    public static final int INTERNAL = 4;
    /** read_only_sql_transaction: what a standby answers to every write. */
    private static final String READ_ONLY = "25006";

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        var err = cmd.getErr();
        String prog = cmd.getCommandSpec().root().name();
        if (e instanceof ClusterException ce) {
            err.println(prog + ": error: " + ce.getMessage());
            if (!ce.hint().isEmpty()) {
                err.println(prog + ": hint: " + ce.hint());
            }
            return ERROR;
        }
        if (e instanceof SettingsException bad) {
            err.println(prog + ": error: " + bad.getMessage());
            return ERROR;
        }
        if (e instanceof SQLException se) {
            ServerErrorMessage server = se instanceof PSQLException pe ? pe.getServerErrorMessage() : null;
            err.println(prog + ": error: " + (server != null ? server.getMessage() : se.getMessage())
                    + " (SQLSTATE " + se.getSQLState() + ")");
            if (server != null && server.getDetail() != null) {
                err.println(prog + ": detail: " + server.getDetail());
            }
            if (server != null && server.getHint() != null) {
                err.println(prog + ": hint: " + server.getHint());
            } else if (READ_ONLY.equals(se.getSQLState())) {
                err.println(prog + ": hint: a replica is read-only: write on its primary ('" + prog + " status' on this node names it).");
            }
            return ERROR;
        }
        err.println(prog + ": internal error: " + e);
        e.printStackTrace(err);
        return INTERNAL;
    }

    /**
     * Our exception handling; options of settings resolved by the settings engine over {@code env}
     * and checked before the command runs; and '@file' stays an argument (tmictl reads such files itself).
     */
    static CommandLine configure(CommandLine cmd, Service service, Function<String, String> env) {
        ConfigDefaults defaults = new ConfigDefaults(service, env);
        cmd.setExecutionExceptionHandler(new ExitCodes()).setExpandAtFiles(false).setDefaultValueProvider(defaults)
                .setResourceBundle(ConfigDefaults.descriptions());
        cmd.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                return help;
            }
            List<CommandLine> chain = parsed.asCommandLineList();
            CommandLine last = chain.get(chain.size() - 1);
            try {
                defaults.resolve(last.getParseResult());
            } catch (SettingsException e) {
                last.getErr().println(cmd.getCommandName() + ": error: " + e.getMessage());
                return ERROR;
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        return cmd;
    }
}
