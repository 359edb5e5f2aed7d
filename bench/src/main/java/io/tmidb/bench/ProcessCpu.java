// SPDX-License-Identifier: MIT
package io.tmidb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time (user and system) used by a process, or by a process and its children, read from
 * {@code /proc} (Linux). On a shared machine a way's wall time swings with the other work; the
 * CPU it costs per unit of work swings far less, and tells where the time goes when the cores
 * are the limit.
 */
final class ProcessCpu {
    /** {@code /proc} counts in clock ticks; Linux's USER_HZ is 100 on every architecture it runs on. */
    private static final long NANOS_PER_TICK = 10_000_000;
    private final long pid;
    private final boolean withChildren;

    private ProcessCpu(long pid, boolean withChildren) {
        this.pid = pid;
        this.withChildren = withChildren;
    }

    /** The CPU of process {@code pid} alone (all its threads). */
    static ProcessCpu of(long pid) {
        return new ProcessCpu(pid, false);
    }

    /**
     * The CPU of process {@code pid} and its children, those running and those it has waited for
     * (a PostgreSQL server: the postmaster and its backends).
     */
    static ProcessCpu withChildren(long pid) {
        return new ProcessCpu(pid, true);
    }

    /** The PostgreSQL server whose data directory is {@code dataDir}, with its backends. */
    static ProcessCpu postgres(Path dataDir) {
        try {
            return withChildren(Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** CPU used so far, in nanoseconds (a resolution of 10 ms). */
    long nanos() {
        long ticks = ticks(pid, withChildren);
        if (withChildren) {
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                ticks += procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                        .mapToLong(p -> {
                            String[] f = stat(p);
                            return f != null && Long.parseLong(f[3]) == pid ? Long.parseLong(f[13]) + Long.parseLong(f[14]) : 0;
                        }).sum();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return ticks * NANOS_PER_TICK;
    }

    /** utime + stime, and cutime + cstime (children waited for) when asked. */
    private static long ticks(long pid, boolean waitedChildren) {
        String[] f = stat(Path.of("/proc", Long.toString(pid)));
        if (f == null) {
            throw new IllegalStateException("process " + pid + " is gone");
        }
        long t = Long.parseLong(f[13]) + Long.parseLong(f[14]);
        return waitedChildren ? t + Long.parseLong(f[15]) + Long.parseLong(f[16]) : t;
    }

    /**
     * The fields of {@code /proc/<pid>/stat}, numbered from 0 as in proc(5) less one; null for a
     * process that has ended. The command name (field 2) may hold spaces, so fields are counted
     * after its closing parenthesis.
     */
    private static String[] stat(Path proc) {
        String s;
        try {
            s = Files.readString(proc.resolve("stat"));
        } catch (IOException e) {
            return null;
        }
        String[] rest = s.substring(s.lastIndexOf(')') + 2).split(" ");
        String[] f = new String[rest.length + 2];
        f[0] = s.substring(0, s.indexOf(' '));
        f[1] = s.substring(s.indexOf('('), s.lastIndexOf(')') + 1);
        System.arraycopy(rest, 0, f, 2, rest.length);
        return f;
    }
}
