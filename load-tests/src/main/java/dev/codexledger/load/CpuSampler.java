package dev.codexledger.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU use between two samples: machine-wide from /proc/stat (in percent of all cores, and busy CPU time,
 * Cassandra included) and this JVM's own CPU time (the node and the load generator, without Cassandra).
 */
final class CpuSampler {

    /** The kernel's clock ticks per second (USER_HZ), the unit of /proc/stat: 100 on Linux. */
    private static final long TICKS_PER_SECOND = 100;
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private long busy;
    private long total;
    private final long busyAtStart;
    private final long processAtStart;

    CpuSampler() {
        sample();
        busyAtStart = busy;
        processAtStart = OS.getProcessCpuTime();
    }

    /** CPU time of this JVM since construction, in nanoseconds. */
    long processNanosSinceStart() {
        return OS.getProcessCpuTime() - processAtStart;
    }

    /** Busy CPU time of the whole machine since construction, in nanoseconds. */
    long machineBusyNanosSinceStart() {
        return (read()[0] - busyAtStart) * (1_000_000_000L / TICKS_PER_SECOND);
    }

    private long[] read() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long all = 0;
            for (int i = 1; i < fields.length; i++) {
                all += Long.parseLong(fields[i]);
            }
            long idle = Long.parseLong(fields[4]) + Long.parseLong(fields[5]);
            return new long[] {all - idle, all};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    private void sample() {
        long[] now = read();
        busy = now[0];
        total = now[1];
    }

    /**
     * Waits (at most {@code atMost}) until the machine is idle: two samples a second apart each under
     * {@code percent} busy, so work left over from a phase (flushes, compactions, garbage collection,
     * background steps after the acks) does not land in the next one. Returns the last sample.
     */
    static double awaitIdle(Duration atMost, double percent) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        CpuSampler cpu = new CpuSampler();
        int idleSamples = 0;
        double last = Double.NaN;
        while (idleSamples < 2 && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            last = cpu.percentSinceLast();
            idleSamples = last < percent ? idleSamples + 1 : 0;
        }
        return last;
    }

    /** Percent busy since the previous call (or construction). */
    double percentSinceLast() {
        long[] now = read();
        double percent = now[1] == total ? Double.NaN : 100.0 * (now[0] - busy) / (now[1] - total);
        busy = now[0];
        total = now[1];
        return percent;
    }
}
