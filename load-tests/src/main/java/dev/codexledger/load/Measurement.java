package dev.codexledger.load;

import java.util.Arrays;

/**
 * What one phase of the benchmark measured. {@code jvmCpuNanos}: CPU time of the benchmark's own JVM (the
 * node and the load generator, or the raw baseline's driver) over the phase; {@code machineCpuNanos}: busy
 * CPU time of the whole machine (Cassandra included).
 */
record Measurement(String name, long events, double seconds, double p50Millis, double p99Millis, double cpuPercent,
                   long requests, long refused, long jvmCpuNanos, long machineCpuNanos) {

    Measurement(String name, long events, double seconds, double p50Millis, double p99Millis, CpuSampler cpu,
                long requests, long refused) {
        this(name, events, seconds, p50Millis, p99Millis, cpu.percentSinceLast(), requests, refused,
                cpu.processNanosSinceStart(), cpu.machineBusyNanosSinceStart());
    }

    /** CPU microseconds of the benchmark's JVM per event. */
    double jvmCpuMicrosPerEvent() {
        return events == 0 ? Double.NaN : jvmCpuNanos / 1e3 / events;
    }

    /** CPU microseconds of the whole machine per event. */
    double machineCpuMicrosPerEvent() {
        return events == 0 ? Double.NaN : machineCpuNanos / 1e3 / events;
    }

    double eventsPerSecond() {
        return events / seconds;
    }

    static double percentile(long[] nanos, int count, double quantile) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        int index = (int) Math.min(count - 1, Math.ceil(quantile * count) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }
}
