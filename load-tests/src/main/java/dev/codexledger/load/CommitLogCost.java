package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.codexledger.localcassandra.CommitLogSync;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * Issue 13: what the embedded Cassandra's commit-log modes and the per-workspace writer fence cost a
 * Ledger node. In one run, in rounds (each round runs every variant once; the order flips every round,
 * so the machine's drift hits all variants alike):
 *
 * <ol>
 *   <li>for each commit-log mode, a fresh local Cassandra started with that mode and a Ledger node on it
 *       (same JVM as the load, writer fence at its default, on): warm-up, then JSON ingest into
 *       {@code workspaces} workspaces by {@code workers} closed-model clients, then a lone writer (one
 *       client, one record per request, sequential);</li>
 *   <li>on the first mode's Cassandra (the current default, {@code periodic 10s}), a node with the writer
 *       fence on and one with it off: ingest into {@code workspaces} workspaces, into one hot workspace,
 *       and the lone writer.</li>
 * </ol>
 *
 * Ratios are taken against the first mode and against fence off, in the same run.
 *
 * <p>Arguments: the repository root. Settings (system properties): {@code phase.seconds} (20),
 * {@code warmup.seconds} (12), {@code first.warmup.seconds} (20: the run's first warm-up also warms this JVM),
 * {@code rounds} (2), {@code workers} (8), {@code batch} (500),
 * {@code workspaces} (50), {@code lone.requests} (200), {@code modes} ("periodic 10s,group 15ms,batch"),
 * {@code fence} (true: measure the writer fence too), {@code cassandra.heap.mb} (3072).
 */
public final class CommitLogCost {

    static final String BEGIN = "<!-- commitlog-run:begin (written by load-tests/run-commitlog.sh) -->";
    static final String END = "<!-- commitlog-run:end -->";
    static final String HEADING = "\n## Commit log and writer fence (issue 13)\n\n`load-tests/run-commitlog.sh`\n\n";

    private static final String FENCE = "ledger.workspace.writer-fence";
    private static final Duration LONE_WARM_UP = Duration.ofSeconds(3);
    /** Warm-up of each fence node (on a Cassandra that has run the mode's phases already). */
    private static final long FENCE_WARM_UP_SECONDS = 3;
    /** Before a lone writer: the machine counts as idle under this much CPU, waited for at most so long. */
    private static final double IDLE_PERCENT = 25;
    private static final Duration IDLE_WAIT = Duration.ofSeconds(45);

    private CommitLogCost() {}

    /** One variant's measurements, one a round. */
    record Series(String label, List<Measurement> rounds) {

        Series(String label) {
            this(label, new ArrayList<>());
        }

        /** Events/s over all rounds: all acknowledged events over all measured seconds. */
        double eventsPerSecond() {
            return rounds.stream().mapToLong(Measurement::events).sum()
                    / rounds.stream().mapToDouble(Measurement::seconds).sum();
        }

        double meanP50() {
            return rounds.stream().mapToDouble(Measurement::p50Millis).average().orElse(Double.NaN);
        }

        double meanP99() {
            return rounds.stream().mapToDouble(Measurement::p99Millis).average().orElse(Double.NaN);
        }

        double machineCpuMicrosPerEvent() {
            long events = rounds.stream().mapToLong(Measurement::events).sum();
            return rounds.stream().mapToLong(Measurement::machineCpuNanos).sum() / 1e3 / events;
        }

        long requests() {
            return rounds.stream().mapToLong(Measurement::requests).sum();
        }

        long refused() {
            return rounds.stream().mapToLong(Measurement::refused).sum();
        }
    }

    /** The run's settings, as the system properties set them. */
    record Settings(Duration phase, Duration warmUp, Duration firstWarmUp, int rounds, int workers, int batch, int workspaces,
                    int loneRequests, List<String> modes, boolean fence) {

        static Settings fromSystemProperties() {
            List<String> modes = Arrays.stream(System.getProperty("modes", "periodic 10s,group 15ms,batch")
                    .split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
            modes.forEach(CommitLogSync::parse); // a mistyped mode fails before anything starts
            return new Settings(Duration.ofSeconds(Long.getLong("phase.seconds", 20)),
                    Duration.ofSeconds(Long.getLong("warmup.seconds", 12)),
                    Duration.ofSeconds(Long.getLong("first.warmup.seconds", 20)), Integer.getInteger("rounds", 2),
                    Integer.getInteger("workers", 8), Integer.getInteger("batch", 500),
                    Integer.getInteger("workspaces", 50), Integer.getInteger("lone.requests", 200), modes,
                    Boolean.parseBoolean(System.getProperty("fence", "true")));
        }

        /** Request bodies to make before a phase: enough for 20,000 events/s, more are made on the fly. */
        int bodiesPerWorker() {
            return (int) Math.max(8, phase.toSeconds() * 20_000 / batch / workers);
        }
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Settings settings = Settings.fromSystemProperties();
        long started = System.nanoTime();
        double[] fsync = fsyncProbe(200);
        log(String.format("fsync probe (4 KiB write + fdatasync into a preallocated file, temp folder): p50 %.2f ms,"
                + " p99 %.2f ms", fsync[0], fsync[1]));

        contents(settings);
        log("made " + settings.workers() * settings.bodiesPerWorker() + " request bodies of " + settings.batch()
                + " records");
        Map<String, Series> ingest = new LinkedHashMap<>();
        Map<String, Series> lone = new LinkedHashMap<>();
        for (String mode : settings.modes()) {
            ingest.put(mode, new Series(mode));
            lone.put(mode, new Series(mode));
        }
        Map<String, Series> fence = new LinkedHashMap<>();
        for (String off : List.of("off", "on")) {
            fence.put(off + " ws", new Series("fence " + off + ", " + settings.workspaces() + " workspaces"));
            fence.put(off + " hot", new Series("fence " + off + ", one hot workspace"));
            fence.put(off + " lone", new Series("fence " + off + ", lone writer"));
        }

        List<String> order = new ArrayList<>();
        for (int round = 1; round <= settings.rounds(); round++) {
            List<String> modes = new ArrayList<>(settings.modes());
            if (round % 2 == 0) {
                java.util.Collections.reverse(modes);
            }
            for (String mode : modes) {
                int index = settings.modes().indexOf(mode);
                order.add(mode);
                log("round " + round + ": commit log " + mode);
                LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-commitlog-",
                        CommitLogSync.parse(mode));
                Path dataDir = cassandra.dataDir();
                try (cassandra; CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                        .withLocalDatacenter(LocalCassandra.DATACENTER).build()) {
                    String prefix = "m" + index + "r" + round;
                    LedgerNode.Running node = Benchmark.startNode(cassandra);
                    try {
                        HttpLoad load = load(node);
                        // the first warm-up also warms this JVM (node and load generator) up
                        warmUp(load, "warm-up, " + mode, order.size() == 1 ? settings.firstWarmUp() : settings.warmUp(),
                                settings, prefix + "w");
                        ingest.get(mode).rounds().add(Benchmark.log(ingest(load,
                                "round " + round + ", " + mode + ", ingest", settings.phase(), settings,
                                prefix + "i", settings.workspaces())));
                        lone.get(mode).rounds().add(Benchmark.log(lone(load, session,
                                "round " + round + ", " + mode + ", lone writer", settings, prefix + "l")));
                    } finally {
                        node.stop();
                    }
                    if (settings.fence() && index == 0) {
                        measureFence(cassandra, session, settings, round, fence, order);
                    }
                }
                Benchmark.deleteFolder(dataDir);
            }
        }
        Duration total = Duration.ofNanos(System.nanoTime() - started);
        StringBuilder section = render(settings, fsync, order, ingest, lone, fence, total);
        System.out.println(section);
        Results.replaceSection(root.resolve("load-tests/RESULTS.md"), BEGIN, END, HEADING, section);
        log("total " + total.toSeconds() + " s");
        System.exit(0);
    }

    /**
     * Two nodes on the same Cassandra at once, one with the writer fence on and one with it off, so the
     * variants alternate phase by phase without a restart between them. Each is a cluster of its own; they
     * share the keyspace the mode's node made (a new one took ~20 s of schema changes), each writing
     * workspaces of its own. Ingest
     * into many workspaces (A then B), into one hot workspace (B then A), the lone writer (A then B); A is
     * the fence on in odd rounds, off in even ones.
     */
    private static void measureFence(LocalCassandra cassandra, CqlSession session, Settings settings, int round,
            Map<String, Series> fence, List<String> order) throws Exception {
        List<String> ab = round % 2 == 1 ? List.of("on", "off") : List.of("off", "on");
        log("round " + round + ": writer fence " + ab.get(0) + " and " + ab.get(1) + ", two nodes at once");
        Map<String, LedgerNode.Running> nodes = new LinkedHashMap<>();
        try {
            for (String on : ab) {
                nodes.put(on, Benchmark.startNode(cassandra, Map.of(FENCE, on)));
            }
            for (String on : ab) {
                warmUp(load(nodes.get(on)), "warm-up, fence " + on,
                        Duration.ofSeconds(Math.min(FENCE_WARM_UP_SECONDS, settings.warmUp().toSeconds())), settings,
                        "f" + on + round + "w");
            }
            for (String on : ab) {
                order.add("fence " + on + " " + settings.workspaces() + " ws");
                fence.get(on + " ws").rounds().add(Benchmark.log(ingest(load(nodes.get(on)), "round " + round
                        + ", fence " + on + ", " + settings.workspaces() + " workspaces", settings.phase(), settings,
                        "f" + on + round + "i", settings.workspaces())));
            }
            for (String on : List.of(ab.get(1), ab.get(0))) {
                order.add("fence " + on + " hot");
                fence.get(on + " hot").rounds().add(Benchmark.log(ingest(load(nodes.get(on)), "round " + round
                        + ", fence " + on + ", one hot workspace", settings.phase(), settings, "f" + on + round + "h", 1)));
            }
            for (String on : ab) {
                order.add("fence " + on + " lone");
                fence.get(on + " lone").rounds().add(Benchmark.log(lone(load(nodes.get(on)), session, "round " + round
                        + ", fence " + on + ", lone writer", settings, "f" + on + round + "l")));
            }
        } finally {
            for (LedgerNode.Running node : nodes.values()) {
                node.stop();
            }
        }
    }

    private static HttpLoad load(LedgerNode.Running node) {
        return new HttpLoad("http://127.0.0.1:" + node.httpAddress().getPort(), Benchmark.KEY);
    }

    /** Closed-model ingest: {@code workers} clients, {@code batch}-record JSON bodies, made before the clock starts. */
    private static Measurement ingest(HttpLoad load, String name, Duration length, Settings settings, String phase,
            int workspaces) throws InterruptedException {
        byte[][] made = contents(settings);
        BiFunction<Integer, Long, HttpLoad.Body> bodies = (w, n) -> {
            if (n >= settings.bodiesPerWorker()) {
                return Benchmark.jsonBody(phase, w, n, settings.batch(), workspaces);
            }
            int index = (int) (w * (long) settings.bodiesPerWorker() + n);
            String workspace = phase + "-" + ((w + n) % workspaces); // as Benchmark.jsonBody spreads them
            return new HttpLoad.Body("/v1/workspaces/" + workspace + "/records", made[index], "application/json",
                    workspace, settings.batch());
        };
        return load.run(name, length, settings.workers(), bodies);
    }

    /**
     * The measured phases' request contents, made once before the first phase and sent by every phase
     * into workspaces of its own: a record id need only be new in its workspace. Past them, a worker makes
     * more on the fly.
     */
    private static byte[][] contents;

    private static synchronized byte[][] contents(Settings settings) {
        if (contents == null) {
            int perWorker = settings.bodiesPerWorker();
            contents = new byte[settings.workers() * perWorker][];
            for (int w = 0; w < settings.workers(); w++) {
                for (int n = 0; n < perWorker; n++) {
                    contents[w * perWorker + n] = Benchmark.jsonBody("cl", w, n, settings.batch(), 1).bytes();
                }
            }
        }
        return contents;
    }

    /** Ingest as {@link #ingest}, unmeasured, its bodies made on the fly. */
    private static void warmUp(HttpLoad load, String name, Duration length, Settings settings, String phase)
            throws InterruptedException {
        load.run(name, length, settings.workers(),
                (w, n) -> Benchmark.jsonBody(phase, w, n, settings.batch(), settings.workspaces()));
    }

    /**
     * One client, one record per request, each sent when the previous one was acknowledged: a warm-up of
     * its own (new code paths get compiled), then, once Cassandra runs no flush or compaction and the
     * machine is idle, the measured requests.
     */
    private static Measurement lone(HttpLoad load, CqlSession session, String name, Settings settings, String phase)
            throws InterruptedException {
        load.run(name + " warm-up", LONE_WARM_UP, 1, (w, n) -> Benchmark.jsonBody(phase, w, n + 1_000_000L, 1, 1));
        long waiting = System.nanoTime();
        Benchmark.awaitQuiet(session, Duration.ofSeconds(30));
        double cpu = CpuSampler.awaitIdle(IDLE_WAIT, IDLE_PERCENT);
        log(String.format("%s: waited %.0f s for a quiet Cassandra and an idle machine (last second %.0f %% busy)",
                name, (System.nanoTime() - waiting) / 1e9, cpu));
        Measurement m = load.runRequests(name, Duration.ofSeconds(60), 1, settings.loneRequests(),
                (w, n) -> Benchmark.jsonBody(phase, w, n, 1, 1));
        log(String.format("%s: CPU per request %.1f ms in this JVM, %.1f ms on the machine", name,
                m.jvmCpuMicrosPerEvent() / 1e3, m.machineCpuMicrosPerEvent() / 1e3));
        return m;
    }

    /**
     * What a sync costs on the disk the Cassandras write to (the temporary folder): {@code count} times a
     * 4 KiB write into a preallocated file followed by fdatasync, as a commit-log segment is synced.
     * Returns p50 and p99 in milliseconds.
     */
    static double[] fsyncProbe(int count) throws IOException {
        Path file = Files.createTempFile("ledger-fsync-probe-", ".bin");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4096 * count), 0);
            channel.force(true);
            long[] nanos = new long[count];
            ByteBuffer page = ByteBuffer.allocate(4096);
            for (int i = 0; i < count; i++) {
                page.clear();
                page.putLong(0, System.nanoTime());
                long start = System.nanoTime();
                channel.write(page, 4096L * i);
                channel.force(false);
                nanos[i] = System.nanoTime() - start;
            }
            return new double[] {Measurement.percentile(nanos, count, 0.50), Measurement.percentile(nanos, count, 0.99)};
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static StringBuilder render(Settings settings, double[] fsync, List<String> order,
            Map<String, Series> ingest, Map<String, Series> lone, Map<String, Series> fence, Duration total) {
        StringBuilder s = new StringBuilder(BEGIN).append("\n\n");
        s.append("Run at ").append(Instant.now()).append(" on `").append(Results.host()).append("`: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, ").append(Results.memoryGib())
                .append(" GiB, ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append(", ").append(Benchmark.cassandraName)
                .append(" (local, same machine, ").append(Integer.getInteger("cassandra.heap.mb", 3072))
                .append(" MiB heap), Pekko ").append(org.apache.pekko.Version.current())
                .append(String.format(". The data disk's sync (4 KiB write + fdatasync into a preallocated file):"
                        + " p50 %.2f ms, p99 %.2f ms.%n%n", fsync[0], fsync[1]));
        s.append("Command: `PHASE_SECONDS=").append(settings.phase().toSeconds()).append(" WARMUP_SECONDS=")
                .append(settings.warmUp().toSeconds()).append(" FIRST_WARMUP_SECONDS=")
                .append(settings.firstWarmUp().toSeconds()).append(" ROUNDS=").append(settings.rounds())
                .append(" load-tests/run-commitlog.sh`; the whole run took ").append(total.toMinutes()).append(" min ")
                .append(total.toSecondsPart()).append(" s. Each commit-log mode gets a fresh Cassandra started with it,")
                .append(" one at a time, and a Ledger node in the benchmark's JVM (writer fence on, the default); ")
                .append(settings.warmUp().toSeconds()).append(" s of ingest warm it up (")
                .append(settings.firstWarmUp().toSeconds()).append(" s for the run's first, which warms this JVM")
                .append(" too), then ")
                .append(settings.phase().toSeconds()).append(" s are measured. Ingest: ").append(settings.workers())
                .append(" closed-model clients, ").append(settings.batch())
                .append("-record JSON batches (~850 bytes a record) into ").append(settings.workspaces())
                .append(" workspaces. Lone writer: one client, one record per request, each sent when the previous")
                .append(" one was acknowledged: ").append(LONE_WARM_UP.toSeconds()).append(" s unmeasured, then ")
                .append(settings.loneRequests()).append(" requests measured once Cassandra has no flush or compaction")
                .append(" running and the machine is idle (under ").append(String.format("%.0f", IDLE_PERCENT))
                .append(" % busy two seconds running, waited for at most ").append(IDLE_WAIT.toSeconds())
                .append(" s). Writer fence: after the modes' phases on the Cassandra of `")
                .append(settings.modes().get(0)).append("`, two nodes at once, fence on and fence off, each a")
                .append(" cluster of its own writing workspaces of its own, alternating phase by phase (no restart between them), after ")
                .append(FENCE_WARM_UP_SECONDS).append(" s of warm-up each. Order (the order flips every round): ")
                .append(String.join(" → ", order)).append(".\n\n");

        Series base = ingest.values().iterator().next();
        s.append("Ingest by commit-log mode (").append(settings.workspaces()).append(" workspaces; values per round")
                .append(" as r1 / r2 …):\n\n");
        s.append("| commit log | events/s, all rounds | × ").append(base.label()).append(" | events/s per round |")
                .append(" × per round | p50 ack per round | p99 ack per round | CPU µs/event (machine) |")
                .append(" requests | refused (429/503) |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Series series : ingest.values()) {
            rateRow(s, series, base);
        }

        Series loneBase = lone.values().iterator().next();
        s.append("\nA lone writer (one client, one record per request, sequential; fence on):\n\n");
        s.append("| commit log | p50 ack, mean of rounds | × ").append(loneBase.label())
                .append(" | p99 ack, mean of rounds | × ").append(loneBase.label())
                .append(" | p50 per round | p99 per round | requests/s per round | CPU (machine) per round |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Series series : lone.values()) {
            latencyRow(s, series, loneBase);
        }

        if (settings.fence()) {
            s.append("\nWriter fence (`").append(FENCE).append("`), on a Cassandra with the commit log ")
                    .append(base.label()).append(", ratios against fence off:\n\n");
            s.append("| case | events/s, all rounds | on ÷ off | events/s per round | on ÷ off per round |")
                    .append(" p50 ack per round | p99 ack per round | CPU µs/event (machine) | requests |")
                    .append(" refused (429/503) |\n");
            s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (String kind : List.of("ws", "hot")) {
                Series off = fence.get("off " + kind);
                rateRow(s, off, off);
                rateRow(s, fence.get("on " + kind), off);
            }
            Series off = fence.get("off lone");
            s.append("\n| lone writer | p50 ack, mean of rounds | on ÷ off | p99 ack, mean of rounds | on ÷ off |")
                    .append(" p50 per round | p99 per round | requests/s per round | CPU (machine) per round |\n");
            s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            latencyRow(s, off, off);
            latencyRow(s, fence.get("on lone"), off);
        }

        s.append("\nWhat a power cut (or a kernel crash) can take from a single-node embedded Cassandra, by mode;")
                .append(" a crash of the process alone loses nothing in any mode, since the operating system's page")
                .append(" cache survives it: `periodic 10s` acknowledges before the commit log is synced and syncs")
                .append(" every 10 s, so up to ~10 s of acknowledged records can be lost; `group Nms` answers a write")
                .append(" only after the sync of its group (a sync at most every N ms), and `batch` only after a sync")
                .append(" of the writes waiting with it: neither loses anything acknowledged.");
        s.append(" Measured here:");
        for (Series series : ingest.values()) {
            if (series != base) {
                s.append(String.format(" `%s` ingests at %.2f× the rate of `%s` and a lone write takes %.1f ms instead"
                                + " of %.1f ms (p50);", series.label(), series.eventsPerSecond() / base.eventsPerSecond(),
                        base.label(), lone.get(series.label()).meanP50(), loneBase.meanP50()));
            }
        }
        if (settings.fence()) {
            s.append(String.format(" with the writer fence on, ingest runs at %.2f× the rate without it into %d"
                            + " workspaces and %.2f× into one hot workspace, and a lone write takes %.1f ms instead of"
                            + " %.1f ms (p50).",
                    fence.get("on ws").eventsPerSecond() / fence.get("off ws").eventsPerSecond(), settings.workspaces(),
                    fence.get("on hot").eventsPerSecond() / fence.get("off hot").eventsPerSecond(),
                    fence.get("on lone").meanP50(), fence.get("off lone").meanP50()));
        }
        s.append("\n\n").append(END);
        return s;
    }

    private static void rateRow(StringBuilder s, Series series, Series base) {
        s.append(String.format("| %s | %.0f | **%.2f×** | %s | %s | %s | %s | %.0f | %d | %d |%n", series.label(),
                series.eventsPerSecond(), series.eventsPerSecond() / base.eventsPerSecond(),
                perRound(series, m -> String.format("%.0f", m.eventsPerSecond())),
                perRound(series, base, (m, b) -> String.format("%.2f", m.eventsPerSecond() / b.eventsPerSecond())),
                perRound(series, m -> String.format("%.0f ms", m.p50Millis())),
                perRound(series, m -> String.format("%.0f ms", m.p99Millis())),
                series.machineCpuMicrosPerEvent(), series.requests(), series.refused()));
    }

    private static void latencyRow(StringBuilder s, Series series, Series base) {
        s.append(String.format("| %s | %.1f ms | **%.2f×** | %.1f ms | %.2f× | %s | %s | %s | %s |%n", series.label(),
                series.meanP50(), series.meanP50() / base.meanP50(), series.meanP99(), series.meanP99() / base.meanP99(),
                perRound(series, m -> String.format("%.1f ms", m.p50Millis())),
                perRound(series, m -> String.format("%.1f ms", m.p99Millis())),
                perRound(series, m -> String.format("%.0f", m.requests() / m.seconds())),
                perRound(series, m -> String.format("%.0f %%", m.cpuPercent()))));
    }

    private static String perRound(Series series, java.util.function.Function<Measurement, String> format) {
        return series.rounds().stream().map(format).collect(Collectors.joining(" / "));
    }

    private static String perRound(Series series, Series base,
            java.util.function.BiFunction<Measurement, Measurement, String> format) {
        List<String> values = new ArrayList<>();
        for (int r = 0; r < series.rounds().size() && r < base.rounds().size(); r++) {
            values.add(format.apply(series.rounds().get(r), base.rounds().get(r)));
        }
        return String.join(" / ", values);
    }

    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }
}
