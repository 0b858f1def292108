package dev.codexledger.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;

/**
 * CPU time of other processes, from {@code /proc/<pid>/stat} (user + system time, in clock ticks of
 * {@code getconf CLK_TCK}, 100 on Linux): what a forked ledger or Cassandra JVM has used so far. A
 * process that is gone reads as -1.
 */
final class ProcessCpu {

    /** USER_HZ, the unit of /proc/<pid>/stat's utime and stime. */
    static final long TICKS_PER_SECOND = ticksPerSecond();

    private ProcessCpu() {}

    /** CPU seconds (user + system) the process has used since it started; -1 when it cannot be read. */
    static double seconds(long pid) {
        long ticks = ticks(pid);
        return ticks < 0 ? -1 : (double) ticks / TICKS_PER_SECOND;
    }

    /** The sum of {@link #seconds} over these processes (each must be readable). */
    static double seconds(Collection<Long> pids) {
        double sum = 0;
        for (long pid : pids) {
            double own = seconds(pid);
            if (own < 0) {
                throw new IllegalStateException("no CPU time for pid " + pid + " (gone?)");
            }
            sum += own;
        }
        return sum;
    }

    /**
     * CPU seconds the process's JIT compiler threads (C1, C2) have used: what of its CPU is still warm-up
     * rather than work. -1 when it cannot be read.
     */
    static double jitSeconds(long pid) {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
                        ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    }
                } catch (IOException | RuntimeException e) {
                    // a thread that ended meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return (double) ticks / TICKS_PER_SECOND;
    }

    static double jitSeconds(Collection<Long> pids) {
        double sum = 0;
        for (long pid : pids) {
            sum += Math.max(0, jitSeconds(pid));
        }
        return sum;
    }

    static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) is in parentheses and may hold spaces: fields count from its ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // after ')': state is field 3, so utime (field 14) and stime (field 15) are at 11 and 12
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long ticksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            try {
                String out = new String(getconf.getInputStream().readAllBytes()).trim();
                getconf.waitFor();
                return Long.parseLong(out);
            } finally {
                getconf.destroyForcibly();
            }
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
