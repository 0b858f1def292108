package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.ConfigFactory;
import dev.codexledger.localcassandra.CommitLogSync;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.storage.CassandraSettings;
import dev.codexledger.storage.LedgerSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One run, one machine: a real local Cassandra, its raw insert rate, then a Ledger node on it under
 * JSON-record, OTLP-protobuf and hot-workspace load. Writes the numbers into load-tests/RESULTS.md.
 *
 * <p>Arguments: the repository root. Settings (system properties): {@code phase.seconds} (default 30),
 * {@code workers} (8), {@code batch} (500), {@code workspaces} (50), {@code cassandra.heap.mb} (3072).
 */
public final class Benchmark {

    static final String KEY = "benchmark-key";

    private Benchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Duration phase = Duration.ofSeconds(Long.getLong("phase.seconds", 30));
        int workers = Integer.getInteger("workers", 8);
        int batch = Integer.getInteger("batch", 500);
        int workspaces = Integer.getInteger("workspaces", 50);

        List<Measurement> results = new ArrayList<>();
        try (LocalCassandra cassandra = startCassandra(root, "ledger-benchmark-")) {
            CassandraSettings raw = CassandraSettings.fromConfig(ConfigFactory.load())
                    .withContactPoint(cassandra.contactPoint());
            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(LocalCassandra.DATACENTER).build()) {
                CassandraSettings baselineSettings = raw.withKeyspace("raw_baseline");
                LedgerSchema.create(session, baselineSettings, Duration.ofDays(30));
                RawBaseline baseline = new RawBaseline(session, "raw_baseline");
                log("warming Cassandra up (a fresh node is slow until warm)");
                baseline.run("warm-up", Duration.ofSeconds(20), 50, 32);
                results.add(log(baseline.run("raw Cassandra, single-row inserts (256 in flight)", phase, 1, 256)));
                results.add(log(baseline.run("raw Cassandra, unlogged batches of 50 (32 in flight)", phase, 50, 32)));
            }
            LedgerNode.Running node = startNode(cassandra);
            try {
                HttpLoad load = new HttpLoad("http://127.0.0.1:" + node.httpAddress().getPort(), KEY);
                int perWorker = Integer.getInteger("bodies.per.worker", 250);
                load.run("ledger warm-up", Duration.ofSeconds(10), workers,
                        premade(workers, perWorker / 4, (w, n) -> jsonBody("warm", w, n, batch, workspaces)));
                results.add(log(load.run("ledger JSON records, " + workspaces + " workspaces", phase, workers,
                        premade(workers, perWorker, (w, n) -> jsonBody("json", w, n, batch, workspaces)))));
                results.add(log(load.run("ledger OTLP protobuf, " + workspaces + " workspaces", phase, workers,
                        premade(workers, perWorker, (w, n) -> otlpBody("otlp", w, n, batch, workspaces)))));
                results.add(log(load.run("ledger JSON records, one hot workspace", phase, workers,
                        premade(workers, perWorker, (w, n) -> jsonBody("hot", w, n, batch, 1)))));
            } finally {
                node.stop();
            }
        }
        Results.write(root.resolve("load-tests/RESULTS.md"), results, workers, batch, phase);
        System.exit(0);
    }

    /** "Cassandra 5.0.9": the server the benchmarks start, as the results name it (set by {@link #startCassandra}). */
    static volatile String cassandraName = "Cassandra";

    /** A fresh local Cassandra for a benchmark run: data in a temporary folder, heap from -Dcassandra.heap.mb. */
    static LocalCassandra startCassandra(Path root, String name) throws Exception {
        return startCassandra(root, name, CommitLogSync.periodic());
    }

    /** As {@link #startCassandra(Path, String)}, its commit log synced as {@code commitLog} says. */
    static LocalCassandra startCassandra(Path root, String name, CommitLogSync commitLog) throws Exception {
        Path lib = root.resolve("modules/cassandra-runtime/target/lib");
        cassandraName = "Cassandra " + LocalCassandra.serverVersion(lib);
        return LocalCassandra.start(LocalCassandra.Settings.defaults(lib, Files.createTempDirectory(name))
                .withHeapMb(Integer.getInteger("cassandra.heap.mb", 3072)).withCommitLog(commitLog));
    }

    /** A Ledger node on the benchmark's Cassandra, on free ports, with the benchmark's admin key. */
    static LedgerNode.Running startNode(LocalCassandra cassandra) throws Exception {
        return startNode(cassandra, Map.of());
    }

    /** As {@link #startNode(LocalCassandra)}, with {@code overrides} over the node's configuration. */
    static LedgerNode.Running startNode(LocalCassandra cassandra, Map<String, Object> overrides) throws Exception {
        Map<String, Object> settings = new HashMap<>(Map.of(
                "ledger.cassandra.contact-points", "127.0.0.1:" + cassandra.nativePort(),
                "ledger.http.port", 0,
                "ledger.auth.admin-key", KEY,
                "pekko.management.http.port", 0,
                "pekko.remote.artery.canonical.port", 0));
        settings.putAll(overrides);
        return LedgerNode.start(ConfigFactory.load(ConfigFactory.parseMap(settings)
                .withFallback(ConfigFactory.parseResourcesAnySyntax("application"))));
    }

    /**
     * Waits (at most {@code atMost}) until Cassandra runs no flush or compaction, so phases do not pay
     * for each other.
     */
    static void awaitQuiet(CqlSession session, Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        Thread.sleep(2000);
        int quietSamples = 0;
        while (quietSamples < 3 && System.nanoTime() < deadline) {
            int tasks;
            try {
                tasks = session.execute("SELECT * FROM system_views.sstable_tasks").all().size();
            } catch (RuntimeException e) {
                tasks = 0;
            }
            quietSamples = tasks == 0 ? quietSamples + 1 : 0;
            Thread.sleep(1000);
        }
    }

    /** Deletes a folder and everything in it (a benchmark's Cassandra data, once that Cassandra stopped). */
    static void deleteFolder(Path folder) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Request bodies made before the clock starts (each with its own records), as the raw baseline makes
     * its rows beforehand: the phase then measures the node, not the making of test data. A worker that
     * uses up its bodies makes more on the fly.
     */
    private static java.util.function.BiFunction<Integer, Long, HttpLoad.Body> premade(int workers, int perWorker,
            java.util.function.BiFunction<Integer, Long, HttpLoad.Body> make) {
        HttpLoad.Body[][] bodies = new HttpLoad.Body[workers][perWorker];
        for (int w = 0; w < workers; w++) {
            for (int n = 0; n < perWorker; n++) {
                bodies[w][n] = make.apply(w, (long) n);
            }
        }
        return (w, n) -> n < perWorker ? bodies[w][(int) (long) n] : make.apply(w, n);
    }

    static HttpLoad.Body jsonBody(String phase, int worker, long n, int batch, int workspaces) {
        StringBuilder body = new StringBuilder(batch * 900).append('[');
        long first = (worker * 1_000_000L + n) * batch;
        for (int i = 0; i < batch; i++) {
            if (i > 0) {
                body.append(',');
            }
            body.append(CodexLikeRecords.json(phase + "-" + (first + i), (int) ((first + i) % 200), first + i));
        }
        String workspace = phase + "-" + ((worker + n) % workspaces);
        return new HttpLoad.Body("/v1/workspaces/" + workspace + "/records",
                body.append(']').toString().getBytes(StandardCharsets.UTF_8), "application/json", workspace, batch);
    }

    private static HttpLoad.Body otlpBody(String phase, int worker, long n, int batch, int workspaces) {
        long first = (worker * 1_000_000L + n) * batch;
        String workspace = phase + "-" + ((worker + n) % workspaces);
        return new HttpLoad.Body("/v1/logs", OtlpBatches.request(phase, first, batch), "application/x-protobuf",
                workspace, batch);
    }

    static Measurement log(Measurement m) {
        System.out.printf("%-55s %10.0f events/s  p50 %7.1f ms  p99 %7.1f ms  cpu %5.1f %%  (%d requests, %d refused)%n",
                m.name(), m.eventsPerSecond(), m.p50Millis(), m.p99Millis(), m.cpuPercent(), m.requests(), m.refused());
        return m;
    }

    private static void log(String line) {
        System.out.println(line);
    }
}
