package dev.codexledger.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Machine-wide CPU use between two samples of /proc/stat, in percent of all cores. */
final class CpuSampler {

    private long busy;
    private long total;

    CpuSampler() {
        sample();
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

    /** Percent busy since the previous call (or construction). */
    double percentSinceLast() {
        long[] now = read();
        double percent = now[1] == total ? Double.NaN : 100.0 * (now[0] - busy) / (now[1] - total);
        busy = now[0];
        total = now[1];
        return percent;
    }
}
