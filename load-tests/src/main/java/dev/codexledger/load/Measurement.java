package dev.codexledger.load;

import java.util.Arrays;

/** What one phase of the benchmark measured. */
record Measurement(String name, long events, double seconds, double p50Millis, double p99Millis, double cpuPercent,
                   long requests, long refused) {

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
