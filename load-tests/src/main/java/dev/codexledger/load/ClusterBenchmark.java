package dev.codexledger.load;

import com.typesafe.config.ConfigFactory;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.localcassandra.LocalCassandraRing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Issue 13's measurements in one run, on one machine, with every ledger node in its own JVM:
 * <ol>
 *   <li>CPU per million records, one node: one Cassandra node (replication factor 1) and one ledger JVM
 *       under closed-model ingest; the CPU time of each process read from /proc;</li>
 *   <li>the same over three: a ring of three Cassandra nodes (replication factor 3, LOCAL_QUORUM) and three
 *       ledger JVMs forming one cluster, the load spread over the three;</li>
 *   <li>one hop against local: ingest into workspaces hosted by node A sent to A, then to another node B,
 *       in alternating rounds;</li>
 *   <li>failover: SIGKILL of the ledger node hosting most of 30 workspaces under a light load through the
 *       others, and for each of its workspaces the time until a write is acknowledged again; with the
 *       default failure detection and with tuned settings.</li>
 * </ol>
 * Writes its section of load-tests/RESULTS.md. Arguments: the repository root. Settings: see
 * load-tests/run-cluster.sh (system properties).
 */
public final class ClusterBenchmark {

    static final String BEGIN = "<!-- cluster-run:begin (written by load-tests/run-cluster.sh) -->";
    static final String END = "<!-- cluster-run:end -->";
    private static final String KEY = LedgerNodes.ADMIN_KEY;
    private static final String RF3 = "{'class': 'SimpleStrategy', 'replication_factor': 3}";
    private static final String RF1 = "{'class': 'SimpleStrategy', 'replication_factor': 1}";
    /** What to stop if this JVM is told to stop (SIGTERM, Ctrl-C) in the middle of a step. */
    private static final List<Runnable> CLEANUP = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CLEANUP.forEach(Runnable::run), "cluster-benchmark-cleanup"));
    }

    /** CPU over one measured phase: seconds of each group of processes. */
    record Cpu(double ledger, double cassandra, double generator, double machine, double wall, double ledgerJit,
               double cassandraJit) {}

    /** Cores each group of processes used with no load at all (cluster upkeep, compaction, JIT). */
    record Idle(double ledgerCores, double cassandraCores, double ledgerJitCores, double cassandraJitCores,
                double seconds) {}

    /** One measured phase with the CPU its processes used. */
    record Phase(ClusterLoad.Result load, Cpu cpu, Map<Integer, Double> ledgerByNode, Idle idle) {

        Phase withIdle(Idle value) {
            return new Phase(load, cpu, ledgerByNode, value);
        }

        /**
         * What one more record costs: the phase's CPU without its JIT compilation and without the upkeep the
         * processes have with no load at all (the idle rate, its JIT aside, over the phase's duration).
         */
        double ledgerMarginal() {
            double upkeep = idle == null ? 0 : Math.max(0, idle.ledgerCores() - idle.ledgerJitCores()) * cpu.wall();
            return perMillion(Math.max(0, cpu.ledger() - cpu.ledgerJit() - upkeep));
        }

        double cassandraMarginal() {
            double upkeep = idle == null ? 0 : Math.max(0, idle.cassandraCores() - idle.cassandraJitCores()) * cpu.wall();
            return perMillion(Math.max(0, cpu.cassandra() - cpu.cassandraJit() - upkeep));
        }

        double perMillion(double seconds) {
            return seconds / (load.events() / 1e6);
        }
    }

    /** The one-hop comparison: the rounds in order, which nodes, which workspaces. */
    record Hop(int local, int remote, List<String> workspaces, List<Phase> rounds, boolean homesMoved) {}

    private ClusterBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Set<String> steps = Set.of(System.getProperty("steps", "1,2,3,4").split(","));
        Duration phase = Duration.ofSeconds(Long.getLong("phase.seconds", 30));
        Duration warmup = Duration.ofSeconds(Long.getLong("warmup.seconds", 50));
        Duration idleTime = Duration.ofSeconds(Long.getLong("idle.seconds", 10));
        int workers = Integer.getInteger("workers", 8);
        int batch = Integer.getInteger("batch", 500);
        int workspaces = Integer.getInteger("workspaces", 50);
        int cassandraHeap = Integer.getInteger("cassandra.heap.mb", 1024);
        String ledgerHeap = System.getProperty("ledger.heap", "1g");
        Duration hopRound = Duration.ofSeconds(Long.getLong("hop.seconds", 15));
        int hopRounds = Integer.getInteger("hop.rounds", 2);
        int repeats = Integer.getInteger("failover.repeats", 5);
        String failoverHeap = System.getProperty("failover.heap", "384m");
        String tunedPause = System.getProperty("tuned.heartbeat.pause", "1s");
        String tunedStable = System.getProperty("tuned.stable.after", "2s");
        Failover.Settings failover = new Failover.Settings(Integer.getInteger("failover.workspaces", 30),
                Integer.getInteger("failover.batch", 10), Long.getLong("failover.interval.ms", 500),
                Long.getLong("failover.hedge.ms", 200), Long.getLong("failover.attempt.timeout.ms", 2000),
                Math.max(1, Integer.getInteger("failover.in.flight", 1)),
                Duration.ofSeconds(Long.getLong("failover.warmup.seconds", 20)),
                Duration.ofSeconds(Long.getLong("failover.steady.seconds", 6)),
                Duration.ofSeconds(Long.getLong("failover.observe.seconds", 90)));
        int numberOfShards = ConfigFactory.load().getInt("pekko.cluster.sharding.number-of-shards");
        Path lib = root.resolve("modules/cassandra-runtime/target/lib");
        String cassandraName = "Cassandra " + LocalCassandra.serverVersion(lib);
        Path work = Files.createTempDirectory("ledger-cluster-benchmark-");
        System.out.println("cluster benchmark: steps " + steps + ", work folder " + work);

        Phase one = null;
        Phase three = null;
        Hop hop = null;
        List<Failover.Outcome> failovers = new ArrayList<>();
        try {
            if (steps.contains("1")) {
                step("1. CPU per million records, one node (1 Cassandra node, RF 1, 1 ledger JVM)", t0);
                LocalCassandra cassandra = LocalCassandra.start(LocalCassandra.Settings.defaults(lib,
                        Files.createDirectories(work.resolve("cassandra-one"))).withHeapMb(cassandraHeap));
                Runnable stopCassandra = cassandra::kill;
                CLEANUP.add(stopCassandra);
                try (LedgerNodes node = LedgerNodes.start(1, ledgerHeap, Map.of(
                        "LEDGER_CASSANDRA_CONTACT_POINTS", "127.0.0.1:" + cassandra.nativePort(),
                        "LEDGER_CASSANDRA_REPLICATION", RF1,
                        "LEDGER_CASSANDRA_KEYSPACE", "bench_one"), work.resolve("logs-one"))) {
                    CLEANUP.add(node::close);
                    System.out.printf("  ledger pid %d, Cassandra pid %d%n", node.pid(0), cassandra.pid());
                    ClusterLoad load = new ClusterLoad(KEY);
                    Idle idle = idle(idleTime, node.pids(), List.of(cassandra.pid()));
                    load.run("warm-up", warmup, workers, bodies("warm1", batch, workspaces), (w, n) -> node.baseUrl(0));
                    one = measure(load, "one node", phase, workers, bodies("one", batch, workspaces),
                            (w, n) -> node.baseUrl(0), node.pids(), List.of(cassandra.pid()));
                    one = one.withIdle(idle);
                    print(one);
                } finally {
                    cassandra.kill();
                    CLEANUP.remove(stopCassandra);
                }
            }
            // the failover step alone may run over fewer Cassandra nodes (less CPU taken from the ledger JVMs)
            int ringNodes = Integer.getInteger("failover.ring.nodes", 3);
            if (ringNodes != 3 && (steps.contains("2") || steps.contains("3") || ringNodes < 1)) {
                throw new IllegalArgumentException("RING_NODES other than 3 only with STEPS=4, and at least 1");
            }
            String replication = ringNodes >= 3 ? RF3
                    : "{'class': 'SimpleStrategy', 'replication_factor': " + ringNodes + "}";
            if (steps.contains("2") || steps.contains("3") || steps.contains("4")) {
                step("starting a ring of " + ringNodes + " Cassandra node(s) (RF " + Math.min(3, ringNodes) + ")", t0);
                LocalCassandraRing ring = LocalCassandraRing.start(LocalCassandraRing.defaults(lib,
                        Files.createDirectories(work.resolve("ring"))).withHeapMb(cassandraHeap)
                        .withStartTimeout(Duration.ofMinutes(4)), ringNodes);
                Runnable stopRing = () -> ring.nodes().forEach(LocalCassandraRing.Node::kill);
                CLEANUP.add(stopRing);
                try {
                    List<Long> ringPids = ring.nodes().stream().map(LocalCassandraRing.Node::pid).toList();
                    System.out.println("  " + ring);
                    if (steps.contains("2") || steps.contains("3")) {
                        step("starting three ledger JVMs (-Xmx" + ledgerHeap + ") as one cluster", t0);
                        try (LedgerNodes nodes = LedgerNodes.start(3, ledgerHeap, Map.of(
                                "LEDGER_CASSANDRA_CONTACT_POINTS", ring.contactPointsString(),
                                "LEDGER_CASSANDRA_REPLICATION", RF3,
                                "LEDGER_CASSANDRA_KEYSPACE", "bench_three"), work.resolve("logs-three"))) {
                            CLEANUP.add(nodes::close);
                            System.out.println("  ledger pids " + nodes.pids());
                            ClusterLoad load = new ClusterLoad(KEY);
                            String[] bases = {nodes.baseUrl(0), nodes.baseUrl(1), nodes.baseUrl(2)};
                            step("2. CPU per million records, three nodes (RF 3, LOCAL_QUORUM), load over all three", t0);
                            Idle idle = idle(idleTime, nodes.pids(), ringPids);
                            load.run("warm-up", warmup.multipliedBy(2), workers, bodies("warm3", batch, workspaces),
                                    (w, n) -> bases[(int) ((w + n) % 3)]);
                            if (steps.contains("2")) {
                                three = measure(load, "three nodes", phase, workers, bodies("three", batch, workspaces),
                                        (w, n) -> bases[(int) ((w + n) % 3)], nodes.pids(), ringPids);
                                three = three.withIdle(idle);
                                print(three);
                            }
                            if (steps.contains("3")) {
                                step("3. one hop against local", t0);
                                hop = hop(load, nodes, numberOfShards, workers, batch, workspaces, hopRound, hopRounds,
                                        ringPids);
                            }
                        }
                    }
                    if (steps.contains("4")) {
                        Map<String, String> env = new LinkedHashMap<>(Map.of(
                                "LEDGER_CASSANDRA_CONTACT_POINTS", ring.contactPointsString(),
                                "LEDGER_CASSANDRA_REPLICATION", replication,
                                "LEDGER_CASSANDRA_KEYSPACE", "bench_failover"));
                        Set<String> settings = Set.of(System.getProperty("failover.settings", "default,resolver-only").split(","));
                        if (settings.contains("default")) {
                            step("4. failover, default failure detection: three ledger JVMs (-Xmx" + failoverHeap + ")", t0);
                            failovers.add(failover(env, failoverHeap, work.resolve("logs-failover-default"), failover,
                                    "fo-default", numberOfShards, defaultFailureDetection(), repeats));
                        }
                        if (settings.contains("resolver-only")) {
                            // the same defaults without down-when-refused: the failure detector and the resolver alone
                            Map<String, String> without = new LinkedHashMap<>(env);
                            without.put("LEDGER_DOWN_WHEN_REFUSED", "off");
                            step("4. failover, resolver only (LEDGER_DOWN_WHEN_REFUSED=off): the ledger cluster started"
                                    + " again", t0);
                            failovers.add(failover(without, failoverHeap, work.resolve("logs-failover-resolver-only"),
                                    failover, "fo-resolver", numberOfShards, "resolver only (the defaults without"
                                            + " down-when-refused)", repeats));
                        }
                        env.put("LEDGER_ACCEPTABLE_HEARTBEAT_PAUSE", tunedPause);
                        env.put("LEDGER_SBR_STABLE_AFTER", tunedStable);
                        if (settings.contains("tuned")) {
                            step("4. failover, tuned: LEDGER_ACCEPTABLE_HEARTBEAT_PAUSE=" + tunedPause
                                    + " LEDGER_SBR_STABLE_AFTER=" + tunedStable + ", the ledger cluster started again", t0);
                            failovers.add(failover(env, failoverHeap, work.resolve("logs-failover-tuned"), failover,
                                    "fo-tuned", numberOfShards, "tuned (heartbeat pause " + tunedPause
                                            + ", stable-after " + tunedStable + ")", repeats));
                        }
                    }
                } finally {
                    ring.nodes().forEach(LocalCassandraRing.Node::kill);
                    CLEANUP.remove(stopRing);
                }
            }
        } finally {
            if (!Boolean.getBoolean("keep.work")) {
                keepLogs(work);
                deleteRecursively(work, root);
            }
        }
        double minutes = (System.nanoTime() - t0) / 60e9;
        step(String.format("done in %.1f min", minutes), t0);
        String section = report(started, minutes, cassandraName, workers, batch, workspaces, phase, warmup, cassandraHeap,
                ledgerHeap, failoverHeap, hopRound, idleTime, one, three, hop, failovers, failover, repeats);
        System.out.println(section);
        if (Boolean.parseBoolean(System.getProperty("write", "true"))) {
            Results.replaceSection(root.resolve("load-tests/RESULTS.md"), BEGIN, END,
                    "\n## Cluster (issue 13)\n\n`load-tests/run-cluster.sh`\n\n", section);
        }
        System.exit(0);
    }

    private static void step(String what, long t0) {
        System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    /** Request bodies: 500 Codex-sized JSON records each, unique ids, workspace {@code (w + n) mod workspaces}. */
    static BiFunction<Integer, Long, HttpLoad.Body> bodies(String prefix, int batch, int workspaces) {
        List<String> names = Stream.iterate(0, i -> i + 1).limit(workspaces).map(i -> "c" + i).toList();
        return bodies(prefix, batch, names);
    }

    static BiFunction<Integer, Long, HttpLoad.Body> bodies(String prefix, int batch, List<String> workspaces) {
        return (w, n) -> {
            StringBuilder body = new StringBuilder(batch * 900).append('[');
            long first = (w * 1_000_000L + n) * batch;
            for (int i = 0; i < batch; i++) {
                body.append(i > 0 ? "," : "").append(CodexLikeRecords.json(prefix + "-" + (first + i),
                        (int) ((first + i) % 200), first + i));
            }
            String workspace = workspaces.get((int) ((w + n) % workspaces.size()));
            return new HttpLoad.Body("/v1/workspaces/" + workspace + "/records",
                    body.append(']').toString().getBytes(StandardCharsets.UTF_8), "application/json", workspace, batch);
        };
    }

    /** One phase of load with the CPU each process used over it. */
    private static Phase measure(ClusterLoad load, String name, Duration duration, int workers,
                                 BiFunction<Integer, Long, HttpLoad.Body> bodies, ClusterLoad.Target target,
                                 List<Long> ledgerPids, List<Long> cassandraPids) throws InterruptedException {
        long self = ProcessHandle.current().pid();
        Map<Integer, Double> ledgerBefore = new LinkedHashMap<>();
        for (int i = 0; i < ledgerPids.size(); i++) {
            ledgerBefore.put(i, ProcessCpu.seconds(ledgerPids.get(i)));
        }
        double cassandraBefore = ProcessCpu.seconds(cassandraPids);
        double ledgerJitBefore = ProcessCpu.jitSeconds(ledgerPids);
        double cassandraJitBefore = ProcessCpu.jitSeconds(cassandraPids);
        double selfBefore = ProcessCpu.seconds(self);
        CpuSampler machine = new CpuSampler();
        long start = System.nanoTime();
        ClusterLoad.Result result = load.run(name, duration, workers, bodies, target);
        double wall = (System.nanoTime() - start) / 1e9;
        double machineSeconds = machine.machineBusyNanosSinceStart() / 1e9;
        Map<Integer, Double> ledgerByNode = new LinkedHashMap<>();
        double ledger = 0;
        for (int i = 0; i < ledgerPids.size(); i++) {
            double used = ProcessCpu.seconds(ledgerPids.get(i)) - ledgerBefore.get(i);
            ledgerByNode.put(i, used);
            ledger += used;
        }
        return new Phase(result, new Cpu(ledger, ProcessCpu.seconds(cassandraPids) - cassandraBefore,
                ProcessCpu.seconds(self) - selfBefore, machineSeconds, wall,
                ProcessCpu.jitSeconds(ledgerPids) - ledgerJitBefore,
                ProcessCpu.jitSeconds(cassandraPids) - cassandraJitBefore), ledgerByNode, null);
    }

    /**
     * CPU of the processes with no load for {@code duration}, before any load: the upkeep of the cluster
     * (gossip, heartbeats, health checks, Cassandra's own tasks) apart from the JIT compilers, which are
     * still busy after a start.
     */
    private static Idle idle(Duration duration, List<Long> ledgerPids, List<Long> cassandraPids)
            throws InterruptedException {
        double ledger = ProcessCpu.seconds(ledgerPids);
        double cassandra = ProcessCpu.seconds(cassandraPids);
        double ledgerJit = ProcessCpu.jitSeconds(ledgerPids);
        double cassandraJit = ProcessCpu.jitSeconds(cassandraPids);
        long start = System.nanoTime();
        Thread.sleep(duration.toMillis());
        double wall = (System.nanoTime() - start) / 1e9;
        Idle idle = new Idle((ProcessCpu.seconds(ledgerPids) - ledger) / wall,
                (ProcessCpu.seconds(cassandraPids) - cassandra) / wall,
                (ProcessCpu.jitSeconds(ledgerPids) - ledgerJit) / wall,
                (ProcessCpu.jitSeconds(cassandraPids) - cassandraJit) / wall, wall);
        System.out.printf("  no load for %.0f s: ledger %.2f cores (JIT %.2f), Cassandra %.2f cores (JIT %.2f)%n", wall,
                idle.ledgerCores(), idle.ledgerJitCores(), idle.cassandraCores(), idle.cassandraJitCores());
        return idle;
    }

    private static void print(Phase p) {
        System.out.printf("  %-28s %8.0f events/s  p50 %6.0f ms  p99 %6.0f ms  ledger %6.1f (JIT %.1f)  Cassandra %6.1f"
                        + " (JIT %.1f)  load generator %5.1f CPU s per M records  (machine busy %.0f %%, %d refused)%n",
                p.load().name(), p.load().eventsPerSecond(), p.load().p50Millis(), p.load().p99Millis(),
                p.perMillion(p.cpu().ledger()), p.perMillion(p.cpu().ledgerJit()), p.perMillion(p.cpu().cassandra()),
                p.perMillion(p.cpu().cassandraJit()), p.perMillion(p.cpu().generator()),
                100 * p.cpu().machine() / p.cpu().wall() / Runtime.getRuntime().availableProcessors(), p.load().refused());
    }

    private static Hop hop(ClusterLoad load, LedgerNodes nodes, int numberOfShards, int workers, int batch, int workspaces,
                           Duration round, int rounds, List<Long> ringPids) throws Exception {
        List<String> all = Stream.iterate(0, i -> i + 1).limit(workspaces).map(i -> "c" + i).toList();
        Map<String, Integer> hosts = nodes.hosts(all, numberOfShards);
        Map<Integer, List<String>> byNode = hosts.entrySet().stream().filter(e -> e.getValue() >= 0)
                .collect(Collectors.groupingBy(Map.Entry::getValue, Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
        int local = byNode.entrySet().stream().max(Comparator.comparingInt(e -> e.getValue().size())).orElseThrow().getKey();
        int remote = (local + 1) % nodes.size();
        List<String> chosen = byNode.get(local);
        System.out.printf("  node %d hosts %d of the %d workspaces (per node: %s); rounds to node %d (local) and node %d"
                + " (one hop), alternating%n", local, chosen.size(), workspaces,
                byNode.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().size()).collect(Collectors.joining(", ")),
                local, remote);
        List<Phase> done = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            for (int target : new int[] {local, remote}) {
                String base = nodes.baseUrl(target);
                String name = (target == local ? "to A (hosts them)" : "to B (one hop)") + ", round " + r;
                Phase p = measure(load, name, round, workers, bodies("hop" + r + "n" + target, batch, chosen),
                        (w, n) -> base, nodes.pids(), ringPids);
                print(p);
                done.add(p);
            }
        }
        Map<String, Integer> after = nodes.hosts(chosen, numberOfShards);
        boolean moved = after.values().stream().anyMatch(h -> h != local);
        if (moved) {
            System.out.println("  note: some of the workspaces moved off node " + local + " during the rounds: " + after);
        }
        return new Hop(local, remote, chosen, done, moved);
    }

    /** The node's own failure detection and downing settings, as the label of the default run. */
    private static String defaultFailureDetection() {
        com.typesafe.config.Config cluster = ConfigFactory.load().getConfig("pekko.cluster");
        return "default (down when refused, heartbeat pause " + cluster.getString("failure-detector.acceptable-heartbeat-pause")
                + ", stable-after " + cluster.getString("split-brain-resolver.stable-after") + ", removal margin "
                + cluster.getString("down-removal-margin") + ", " + cluster.getInt("sharding.number-of-shards")
                + " shards)";
    }

    private static Failover.Outcome failover(Map<String, String> env, String heap, Path logs, Failover.Settings settings,
                                             String prefix, int numberOfShards, String setting, int repeats)
            throws Exception {
        try (LedgerNodes nodes = LedgerNodes.start(3, heap, env, logs)) {
            CLEANUP.add(nodes::close);
            System.out.println("  ledger pids " + nodes.pids());
            Failover.Outcome outcome = new Failover(nodes, settings, prefix, numberOfShards).run(setting, repeats);
            List<Double> all = outcome.allRecoveries();
            System.out.printf("  %s: %d workspace recoveries, p50 %.2f s, p99 %.2f s, max %.2f s; %d acknowledged records,"
                            + " %d missing, %d seqs reused, anomalies %s%n", setting, all.size(), pct(all, 0.5),
                    pct(all, 0.99), pct(all, 1.0), outcome.acknowledgedRecords(), outcome.missing(), outcome.seqReused(),
                    outcome.anomalies());
            return outcome;
        }
    }

    /** Nearest-rank percentile of seconds; NaN when empty. */
    static double pct(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int index = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(q * sorted.size()) - 1));
        return sorted.get(index);
    }

    static double median(List<Double> values) {
        return pct(values.stream().filter(v -> !v.isNaN()).toList(), 0.5);
    }

    /** Moves the ledger nodes' logs (small) out of the work folder before it is deleted, for a look afterwards. */
    private static void keepLogs(Path work) {
        Path kept = work.resolveSibling(work.getFileName() + "-logs");
        try (Stream<Path> dirs = Files.list(work)) {
            for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("logs-")).toList()) {
                Files.createDirectories(kept);
                Files.move(dir, kept.resolve(dir.getFileName()));
            }
            if (Files.exists(kept)) {
                System.out.println("ledger node logs kept in " + kept);
            }
        } catch (IOException e) {
            System.out.println("could not keep the logs: " + e);
        }
    }

    private static void deleteRecursively(Path dir, Path root) throws IOException {
        if (!Files.exists(dir) || dir.startsWith(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.out.println("could not delete " + dir + ": " + e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // the section of RESULTS.md

    private static String report(Instant started, double minutes, String cassandraName, int workers, int batch,
                                 int workspaces, Duration phase, Duration warmup, int cassandraHeap, String ledgerHeap,
                                 String failoverHeap, Duration hopRound, Duration idleTime, Phase one, Phase three, Hop hop,
                                 List<Failover.Outcome> failovers, Failover.Settings fo, int repeats) {
        StringBuilder s = new StringBuilder(BEGIN).append("\n\n");
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        s.append(String.format("Run at %s: %d cores, %d GiB, %s %s, %s, Pekko %s; every process on this one machine"
                        + " (the load generator too). Command: `%s`; %.1f minutes in all.%n%n", started,
                Runtime.getRuntime().availableProcessors(), Math.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024)),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), cassandraName,
                org.apache.pekko.Version.current(), System.getProperty("command", "load-tests/run-cluster.sh"), minutes));
        s.append(String.format("Load for CPU: %d closed-model clients, %d Codex-sized JSON records (~850 bytes) per request,"
                        + " %d workspaces; first %d s with no load (upkeep), then %d s warm-up (twice that on three"
                        + " nodes), then %d s measured. Each ledger node is its own JVM (-Xmx%s, G1);"
                        + " each Cassandra node its own JVM (%d MiB heap, commit log periodic). CPU = user + system time"
                        + " of each process from /proc/<pid>/stat over the measured phase, per million acknowledged"
                        + " records; (JIT): of which the JIT compiler threads (warm-up still under way).%n%n", workers,
                batch, workspaces, idleTime.toSeconds(), warmup.toSeconds(), phase.toSeconds(), ledgerHeap,
                cassandraHeap));
        if (one != null || three != null) {
            s.append("| setup | events/s | p50 ack | p99 ack | ledger CPU s / M records (JIT) | Cassandra CPU s / M"
                    + " records (JIT) | both | load generator CPU s / M | machine busy | upkeep with no load, JIT"
                    + " aside: ledger, Cassandra cores | per record without JIT and upkeep, CPU s / M: ledger,"
                    + " Cassandra | refused |\n");
            s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            if (one != null) {
                s.append(cpuRow("1 ledger node, 1 Cassandra node (RF 1)", one));
            }
            if (three != null) {
                s.append(cpuRow("3 ledger nodes, 3 Cassandra nodes (RF 3, LOCAL_QUORUM), requests spread over the 3",
                        three));
            }
            if (three != null) {
                s.append("\nPer ledger node in the three-node phase (CPU s per M records of the whole load): ")
                        .append(three.ledgerByNode().entrySet().stream().map(e -> String.format("node %d %.1f", e.getKey(),
                                three.perMillion(e.getValue()))).collect(Collectors.joining(", "))).append(".\n");
            }
            s.append("\nAll of this shares 2 cores: the three-node rates are not scale-out numbers (three nodes on the"
                    + " cores one had), only the CPU per record transfers. With RF 3 every record is written by three"
                    + " Cassandra nodes, so the Cassandra column of the three-node row is the cost of the whole"
                    + " replicated write; two of every three requests arrive at a node that does not host the"
                    + " workspace (requests spread without affinity).\n\n");
            s.append(capacity(one, three));
        }
        if (hop != null) {
            s.append(String.format("%n**One hop against local** (three nodes): node %d hosts %d of the %d workspaces;"
                            + " the same %d clients send the same kind of batches into those workspaces, to node %d (A,"
                            + " which hosts them) or to node %d (B, which forwards each batch to A through sharding),"
                            + " alternating, %d s per round%s.%n%n", hop.local(), hop.workspaces().size(), workspaces,
                    workers, hop.local(), hop.remote(), hopRound.toSeconds(),
                    hop.homesMoved() ? "; note: some of the workspaces moved during the rounds" : ""));
            s.append("| round | events/s | p50 ack | p99 ack | CPU s / M records: node A | node B | other ledger node |"
                    + " Cassandra |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
            ClusterLoad.Result toA = null;
            ClusterLoad.Result toB = null;
            for (Phase p : hop.rounds()) {
                int other = 3 - hop.local() - hop.remote();
                s.append(String.format("| %s | %.0f | %.0f ms | %.0f ms | %.1f | %.1f | %.1f | %.1f |%n", p.load().name(),
                        p.load().eventsPerSecond(), p.load().p50Millis(), p.load().p99Millis(),
                        p.perMillion(p.ledgerByNode().get(hop.local())), p.perMillion(p.ledgerByNode().get(hop.remote())),
                        p.perMillion(p.ledgerByNode().get(other)), p.perMillion(p.cpu().cassandra())));
                boolean local = p.load().name().startsWith("to A");
                if (local) {
                    toA = toA == null ? p.load() : toA.plus(p.load());
                } else {
                    toB = toB == null ? p.load() : toB.plus(p.load());
                }
            }
            s.append(String.format("| **all rounds to A** | **%.0f** | %.0f ms | %.0f ms | | | | |%n", toA.eventsPerSecond(),
                    toA.p50Millis(), toA.p99Millis()));
            s.append(String.format("| **all rounds to B** | **%.0f** | %.0f ms | %.0f ms | | | | |%n", toB.eventsPerSecond(),
                    toB.p50Millis(), toB.p99Millis()));
            s.append(String.format("%nOne hop ÷ local: **%.2f×** events/s (goal ≥ 0.8×); p50 %.2f×, p99 %.2f×.%n",
                    toB.eventsPerSecond() / toA.eventsPerSecond(), toB.p50Millis() / toA.p50Millis(),
                    toB.p99Millis() / toA.p99Millis()));
        }
        if (!failovers.isEmpty()) {
            s.append(String.format("%n**Failover** (three ledger JVMs at -Xmx%s over the same ring; the ledger cluster"
                            + " started afresh for each setting, then %d s of the same light load through all three before"
                            + " the first kill). Each repetition: %d workspaces, each with one client sending a batch of %d"
                            + " records every %d ms through the two nodes that will survive; after %d s, SIGKILL of a"
                            + " ledger node. Even repetitions load new workspaces and kill the node, other than the oldest,"
                            + " hosting the most of them; odd ones kill the oldest member, which runs the shard coordinators"
                            + " (they have to move as well), and (after the first) load earlier workspaces, half of them"
                            + " hosted by it (new ones would all go to the node restarted last). Per workspace the killed"
                            + " node hosted: the time from the kill to the first 200 for an attempt sent after the kill. A batch not yet acknowledged"
                            + " is sent again, like an OTLP exporter, with at most %d attempt(s) in flight per client (same"
                            + " ids; each attempt given up after %d ms, the next one at most %d ms after a failure; an attempt"
                            + " buffered while the workspace moves is answered as soon as it is back). The killed node is then started again and the next repetition"
                            + " begins once it is ready (new shards are allocated to it first, so the cluster is balanced again"
                            + " without shards moving under the next measurement). %d repetition(s) per setting.%n%n",
                    failoverHeap, fo.warmUp().toSeconds(), fo.workspaces(), fo.batch(), fo.intervalMillis(),
                    fo.steady().toSeconds(),
                    fo.inFlight(), fo.attemptTimeoutMillis(), fo.hedgeMillis(), repeats));
            s.append("| setting | killed node | workspace recoveries | p50 | p99 | max | not back within "
                    + fo.observe().toSeconds() + " s | median: killed node unreachable | down | removed |"
                    + " other workspaces' longest wait between acks |\n");
            s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Failover.Outcome o : failovers) {
                for (String which : List.of("any", "oldest (coordinators)", "another")) {
                    List<Failover.Repetition> reps = o.repetitions().stream().filter(r -> which.equals("any")
                            || r.victimWasOldest() == which.startsWith("oldest")).toList();
                    if (reps.isEmpty()) {
                        continue;
                    }
                    List<Double> all = new ArrayList<>();
                    reps.forEach(r -> all.addAll(r.recoveries()));
                    boolean bold = which.equals("any");
                    s.append(String.format("| %s | %s | %d | %s%.2f s%s | %s%.2f s%s | %.2f s | %d | %.2f s | %.2f s | %.2f s |"
                                    + " %.2f s |%n", o.setting(), which, all.size(), bold ? "**" : "", pct(all, 0.5),
                            bold ? "**" : "", bold ? "**" : "", pct(all, 0.99), bold ? "**" : "", pct(all, 1.0),
                            reps.stream().mapToInt(Failover.Repetition::notRecovered).sum(),
                            median(reps.stream().map(Failover.Repetition::unreachable).toList()),
                            median(reps.stream().map(Failover.Repetition::down).toList()),
                            median(reps.stream().map(Failover.Repetition::removed).toList()),
                            reps.stream().mapToDouble(Failover.Repetition::othersLongestGap).filter(v -> !Double.isNaN(v))
                                    .max().orElse(Double.NaN)));
                }
            }
            s.append("\n| setting | false suspicions (a live node seen unreachable) | acknowledged records | not read back"
                    + " | seq reused | stored twice | seq gaps | answers retried, by kind |\n|---|---:|---:|---:|---:|---:|---:|---|\n");
            for (Failover.Outcome o : failovers) {
                s.append(String.format("| %s | %d | %d | %d | %d | %d | %d | %s |%n", o.setting(), o.falseUnreachable(),
                        o.acknowledgedRecords(), o.missing(), o.seqReused(), o.storedTwice(), o.gaps(), o.retried()));
            }
            s.append("\nEach repetition (seconds from the SIGKILL):\n\n");
            s.append("| setting | # | killed node | its workspaces | unreachable | down | removed | first back | last back |"
                    + " others' longest wait | node ready again after |\n");
            s.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Failover.Outcome o : failovers) {
                for (Failover.Repetition r : o.repetitions()) {
                    s.append(String.format("| %s | %d | %d%s | %d of %d | %.2f | %.2f | %.2f | %.2f | %.2f%s | %.2f | %.1f |%n",
                            o.setting().replaceAll(" \\(.*", ""), r.number(), r.victim(), r.victimWasOldest() ? " (oldest)" : "",
                            r.victimWorkspaces(), r.workspaces(), r.unreachable(), r.down(), r.removed(),
                            pct(r.recoveries(), 0.0), pct(r.recoveries(), 1.0),
                            r.notRecovered() > 0 ? " (+" + r.notRecovered() + " not back)" : "", r.othersLongestGap(),
                            r.restartToReady()));
                }
            }
            List<String> anomalies = failovers.stream().flatMap(o -> o.anomalies().stream()).toList();
            if (!anomalies.isEmpty()) {
                s.append("\nAnomalies: ").append(String.join("; ", anomalies)).append(".\n");
            }
        }
        s.append("\n").append(END);
        return s.toString();
    }

    private static String cpuRow(String name, Phase p) {
        return String.format("| %s | %.0f | %.0f ms | %.0f ms | **%.1f** (%.1f) | **%.1f** (%.1f) | %.1f | %.1f | %.0f %% |"
                        + " %s | %.1f, %.1f | %d |%n", name,
                p.load().eventsPerSecond(), p.load().p50Millis(), p.load().p99Millis(), p.perMillion(p.cpu().ledger()),
                p.perMillion(p.cpu().ledgerJit()), p.perMillion(p.cpu().cassandra()), p.perMillion(p.cpu().cassandraJit()),
                p.perMillion(p.cpu().ledger() + p.cpu().cassandra()), p.perMillion(p.cpu().generator()),
                100 * p.cpu().machine() / p.cpu().wall() / Runtime.getRuntime().availableProcessors(),
                p.idle() == null ? "–" : String.format("%.2f, %.2f", p.idle().ledgerCores() - p.idle().ledgerJitCores(),
                        p.idle().cassandraCores() - p.idle().cassandraJitCores()),
                p.ledgerMarginal(), p.cassandraMarginal(), p.load().refused());
    }

    /**
     * Cores for 100,000 and 1,000,000 records/s at the measured CPU per record, busy at most 60 % (40 %
     * headroom for peaks, compaction bursts, a node down); the reasoning is in docs/capacity.md.
     */
    private static String capacity(Phase one, Phase three) {
        double utilization = 0.6;
        StringBuilder s = new StringBuilder("Cores at these CPU costs, each core busy at most 60 % (docs/capacity.md"
                + " explains the model; \"measured\": all CPU of the phase per record, \"marginal\": without JIT and"
                + " the upkeep measured with no load before the warm-up):\n\n");
        s.append("| from | CPU s / M: ledger, Cassandra | ledger cores for 100 k/s | Cassandra cores for 100 k/s |"
                + " ledger cores for 1 M/s | Cassandra cores for 1 M/s |\n|---|---:|---:|---:|---:|---:|\n");
        for (Phase p : Stream.of(one, three).filter(x -> x != null).toList()) {
            String setup = p == one ? "one node (RF 1)" : "three nodes (RF 3)";
            for (boolean marginal : new boolean[] {false, true}) {
                double ledger = marginal ? p.ledgerMarginal() : p.perMillion(p.cpu().ledger());
                double cassandra = marginal ? p.cassandraMarginal() : p.perMillion(p.cpu().cassandra());
                s.append(String.format("| %s, %s | %.0f, %.0f | %.0f | %.0f | %.0f | %.0f |%n", setup,
                        marginal ? "marginal" : "measured", ledger, cassandra, Math.ceil(ledger * 0.1 / utilization),
                        Math.ceil(cassandra * 0.1 / utilization), Math.ceil(ledger / utilization),
                        Math.ceil(cassandra / utilization)));
            }
        }
        return s.toString();
    }
}
