package dev.codexledger.load;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Writes the latest run into RESULTS.md between markers, keeping the hand-written notes around them. */
final class Results {

    static final String BEGIN = "<!-- latest-run:begin (written by load-tests/run.sh) -->";
    static final String END = "<!-- latest-run:end -->";

    private Results() {}

    static void write(Path file, List<Measurement> results, int workers, int batch, Duration phase) throws IOException {
        StringBuilder table = new StringBuilder();
        table.append(BEGIN).append("\n\n");
        table.append("Run at ").append(Instant.now()).append(" on `").append(host()).append("`: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(memoryGib()).append(" GiB, ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append(", " + Benchmark.cassandraName + " (local, same machine),")
                .append(" Pekko ").append(org.apache.pekko.Version.current()).append(".\n\n");
        table.append("Settings: ").append(workers).append(" concurrent clients (closed model), ").append(batch)
                .append(" records (~850 bytes each) per request, ").append(phase.toSeconds())
                .append(" s per phase.\n\n");
        table.append("| phase | events/s | p50 ack | p99 ack | CPU (machine) | CPU µs/event (this JVM) | CPU µs/event"
                + " (machine) | requests | refused (429/503) |\n");
        table.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Measurement m : results) {
            table.append(String.format("| %s | %.0f | %s | %s | %.0f %% | %.1f | %.1f | %d | %d |%n", m.name(),
                    m.eventsPerSecond(), ms(m.p50Millis()), ms(m.p99Millis()), m.cpuPercent(), m.jvmCpuMicrosPerEvent(),
                    m.machineCpuMicrosPerEvent(), m.requests(), m.refused()));
        }
        double raw = results.stream().filter(m -> m.name().startsWith("raw")).mapToDouble(Measurement::eventsPerSecond)
                .max().orElse(Double.NaN);
        table.append("\nRatios to the best raw rate (").append(String.format("%.0f", raw)).append(" rows/s):");
        for (Measurement m : results) {
            if (!m.name().startsWith("raw")) {
                table.append(String.format(" %s **%.2f×**;", m.name(), m.eventsPerSecond() / raw));
            }
        }
        table.append("\n\n").append(END);

        replaceSection(file, BEGIN, END, "", table);
    }

    /**
     * Puts {@code section} (which starts with {@code begin} and ends with {@code end}) in place of the
     * file's section between those markers, or appends it under {@code heading} when there is none yet.
     */
    static void replaceSection(Path file, String begin, String end, String heading, CharSequence section)
            throws IOException {
        String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "# Load test results\n";
        int from = existing.indexOf(begin);
        int to = existing.indexOf(end);
        String updated = from >= 0 && to > from
                ? existing.substring(0, from) + section + existing.substring(to + end.length())
                : existing + "\n" + heading + section + "\n";
        Files.writeString(file, updated, StandardCharsets.UTF_8);
        System.out.println("wrote " + file);
    }

    private static String ms(double value) {
        return Double.isNaN(value) ? "–" : String.format("%.0f ms", value);
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static long memoryGib() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return Math.round(sun.getTotalMemorySize() / (1024.0 * 1024 * 1024));
        }
        return -1;
    }
}
