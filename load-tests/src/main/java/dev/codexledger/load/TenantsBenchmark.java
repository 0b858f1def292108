package dev.codexledger.load;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.LocalCassandra;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Issue 14, "Thousands of tenants per node": one ledger node in its own JVM ({@code -Xmx1g} by default) on a
 * local Cassandra, and
 * <ol>
 *   <li>ingest of {@code workspaces} × {@code records} short synthetic records in batches of {@code batch},
 *       by {@code clients} clients that each cycle through their share of the workspaces (one batch per
 *       workspace per round), so every workspace is active at once and every dedup window fills over the
 *       run; 429/503/connection errors are retried as an OTLP exporter does (Retry-After, capped, jitter);
 *       every {@code sample.seconds} the node's heap after a full GC ({@code jcmd GC.run}, then
 *       {@code jcmd GC.heap_info}), its RSS, its live sharded entities and whether it still runs;</li>
 *   <li>duplicates: already acknowledged batches of early and of recent workspaces sent again, each record
 *       must come back a duplicate and nothing new be stored;</li>
 *   <li>every acknowledged record stored, no more: per workspace the writer fence's acknowledged head
 *       ({@code ledger_writers.last_seq}, read over CQL, every workspace), the rows of {@code records} (CQL,
 *       a sample) and a read through {@code GET /v1/workspaces/{ws}/records} (a smaller sample);</li>
 *   <li>noisy neighbour: the p99 ack latency of a quiet workspace sending small batches one at a time, alone
 *       and while {@code noisy.clients} clients flood one other workspace.</li>
 * </ol>
 * Prints a markdown section and writes it under load-tests/target/ (never RESULTS.md). Arguments: the
 * repository root. Settings: system properties, see load-tests/run-tenants.sh.
 */
public final class TenantsBenchmark {

    private static final String KEY = LedgerNodes.ADMIN_KEY;
    private static final String KEYSPACE = "tenants";
    private static final String RF1 = "{'class': 'SimpleStrategy', 'replication_factor': 1}";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Runnable> CLEANUP = new CopyOnWriteArrayList<>();
    private static final Pattern HEAP_USED = Pattern.compile("total (\\d+)K, used (\\d+)K");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> CLEANUP.forEach(Runnable::run), "tenants-cleanup"));
    }

    /** Everything the run is told, from system properties. */
    record Settings(int workspaces, int records, int batch, int clients, int sampleSeconds, String nodeHeap,
                    String nodeOpts, boolean exitOnOom, Set<String> phases, int phaseSeconds, int warmupSeconds,
                    int noisyClients, int quietBatch, int noisyBatch, long retryCapMillis, int stallSeconds,
                    int resendEarly, int resendRecent, int idleBeforeResendSeconds, int verifyRowsSample,
                    int verifyApiSample, int quietWaitSeconds, int noisyRounds, boolean histogramAtPeak, int cassandraHeapMb, String command) {

        static Settings fromSystemProperties() {
            return new Settings(Integer.getInteger("workspaces", 1000), Integer.getInteger("records", 50_000),
                    Integer.getInteger("batch", 500), Integer.getInteger("clients", 8),
                    Integer.getInteger("sample.seconds", 30), System.getProperty("node.heap", "1g"),
                    System.getProperty("node.opts", "").trim(),
                    Boolean.parseBoolean(System.getProperty("exit.on.oom", "true")),
                    new LinkedHashSet<>(Arrays.asList(System.getProperty("phases", "ingest,noisy").split(","))),
                    Integer.getInteger("phase.seconds", 30), Integer.getInteger("warmup.seconds", 10),
                    Integer.getInteger("noisy.clients", 8), Integer.getInteger("quiet.batch", 10),
                    Integer.getInteger("noisy.batch", 500), Long.getLong("retry.cap.ms", 5000),
                    Integer.getInteger("stall.seconds", 300), Integer.getInteger("resend.early", 20),
                    Integer.getInteger("resend.recent", 5), Integer.getInteger("idle.before.resend.seconds", 0),
                    Integer.getInteger("verify.rows.sample", 50), Integer.getInteger("verify.api.sample", 2),
                    Integer.getInteger("quiet.wait.seconds", 120), Integer.getInteger("noisy.rounds", 1),
                    Boolean.parseBoolean(System.getProperty("histogram.at.peak", "true")),
                    Integer.getInteger("cassandra.heap.mb", 1024),
                    System.getProperty("command", "load-tests/run-tenants.sh"));
        }

        int batchesPerWorkspace() {
            return (records + batch - 1) / batch;
        }

        int batchSize(int index) {
            return Math.min(batch, records - index * batch);
        }
    }

    /** One sample of the node during ingest. */
    record Sample(double seconds, long acked, double rate, long heapUsedKb, long heapTotalKb, long rssKb,
                  long entities, boolean alive, String nodeMemory) {}

    /** The answer to one batch, after any retries. */
    record Sent(int status, int accepted, int duplicates, long lastSeq, long nanos, String error) {
        boolean ok() {
            return status == 200;
        }
    }

    /** Refusals and errors seen by a group of clients. */
    static final class Counters {
        final AtomicLong refused429 = new AtomicLong();
        final AtomicLong refused503 = new AtomicLong();
        final AtomicLong connectionErrors = new AtomicLong();
        final AtomicLong otherErrors = new AtomicLong();
        volatile String firstError;

        String describe() {
            return refused429.get() + " × 429, " + refused503.get() + " × 503, " + connectionErrors.get()
                    + " connection errors/timeouts, " + otherErrors.get() + " other errors"
                    + (firstError == null ? "" : " (first: " + firstError + ")");
        }
    }

    /** Sends batches with an OTLP exporter's retries: 429/503/connection errors retried after Retry-After. */
    static final class Client {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        private final String base;
        private final long capMillis;
        private final AtomicBoolean stop;
        private final java.util.function.BooleanSupplier nodeAlive;

        Client(String base, long capMillis, AtomicBoolean stop, java.util.function.BooleanSupplier nodeAlive) {
            this.base = base;
            this.capMillis = capMillis;
            this.stop = stop;
            this.nodeAlive = nodeAlive;
        }

        /** Status 0: given up (the run stops, or the node is gone). */
        Sent send(String workspace, String key, byte[] body, Counters counters) {
            long start = System.nanoTime();
            int attempt = 0;
            while (true) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/v1/workspaces/" + workspace + "/records"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                long delayMillis;
                try {
                    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                    int status = response.statusCode();
                    if (status == 200) {
                        JsonNode answer = JSON.readTree(response.body());
                        return new Sent(200, answer.path("accepted").asInt(), answer.path("duplicates").asInt(),
                                answer.path("last_seq").asLong(-1), System.nanoTime() - start, null);
                    }
                    if (status != 429 && status != 503) {
                        counters.otherErrors.incrementAndGet();
                        String error = status + " " + abbreviate(response.body());
                        if (counters.firstError == null) {
                            counters.firstError = error;
                        }
                        return new Sent(status, 0, 0, -1, System.nanoTime() - start, error);
                    }
                    (status == 429 ? counters.refused429 : counters.refused503).incrementAndGet();
                    delayMillis = response.headers().firstValue("Retry-After").map(TenantsBenchmark::retryAfterMillis)
                            .orElse(1000L);
                } catch (IOException e) {
                    counters.connectionErrors.incrementAndGet();
                    if (!nodeAlive.getAsBoolean()) {
                        return new Sent(0, 0, 0, -1, System.nanoTime() - start, "node gone: " + e);
                    }
                    delayMillis = Math.min(capMillis, 250L << Math.min(attempt, 5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Sent(0, 0, 0, -1, System.nanoTime() - start, "interrupted");
                }
                attempt++;
                if (stop.get()) {
                    return new Sent(0, 0, 0, -1, System.nanoTime() - start, "stopped");
                }
                // capped, with jitter (0.5 to 1.5 times), as exporters do so that refused clients do not come back in step
                long wait = (long) (Math.min(capMillis, delayMillis) * (0.5 + ThreadLocalRandom.current().nextDouble()));
                sleep(Math.max(10, wait));
            }
        }

        HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, String key, String json) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private TenantsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Settings s = Settings.fromSystemProperties();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Path lib = root.resolve("modules/cassandra-runtime/target/lib");
        String cassandraName = "Cassandra " + LocalCassandra.serverVersion(lib);
        Path work = Files.createTempDirectory("ledger-tenants-");
        Path out = Files.createDirectories(root.resolve("load-tests/target"));
        step("tenants benchmark: " + s + ", work folder " + work, t0);
        Report report = new Report(s);
        // the node's JVM: no heap dump on OutOfMemoryError (a 1 GB file per try), and, unless told otherwise, exit
        // on one, so that an OutOfMemoryError shows as a dead node rather than a node limping on
        System.setProperty("ledger.jvm.options", ("-XX:-HeapDumpOnOutOfMemoryError"
                + (s.exitOnOom() ? " -XX:+ExitOnOutOfMemoryError" : "") + " " + s.nodeOpts()).trim());
        LocalCassandra cassandra = null;
        LedgerNodes node = null;
        try {
            step("starting Cassandra (heap " + s.cassandraHeapMb() + " MB)", t0);
            cassandra = LocalCassandra.start(LocalCassandra.Settings.defaults(lib,
                    Files.createDirectories(work.resolve("cassandra"))).withHeapMb(s.cassandraHeapMb()));
            LocalCassandra c = cassandra;
            CLEANUP.add(c::kill);
            step("starting one ledger node (-Xmx" + s.nodeHeap() + ", " + System.getProperty("ledger.jvm.options") + ")", t0);
            node = LedgerNodes.start(1, s.nodeHeap(), Map.of(
                    "LEDGER_CASSANDRA_CONTACT_POINTS", "127.0.0.1:" + cassandra.nativePort(),
                    "LEDGER_CASSANDRA_REPLICATION", RF1,
                    "LEDGER_CASSANDRA_KEYSPACE", KEYSPACE), work.resolve("logs"));
            LedgerNodes n = node;
            CLEANUP.add(n::close);
            long pid = node.pid(0);
            step("ledger pid " + pid + ", Cassandra pid " + cassandra.pid(), t0);
            AtomicBoolean stop = new AtomicBoolean();
            Client client = new Client(node.baseUrl(0), s.retryCapMillis(), stop, () -> n.isAlive(0));
            report.idle = sample("idle", node, pid, 0, 0, 0, t0);
            step(String.format("idle node: heap after GC %s, RSS %s", mb(report.idle.heapUsedKb()), mb(report.idle.rssKb())), t0);

            if (s.phases().contains("ingest")) {
                step("ingest: " + s.workspaces() + " workspaces × " + s.records() + " records, batches of " + s.batch()
                        + ", " + s.clients() + " clients", t0);
                Ingest ingest = new Ingest(s);
                report.ingest = ingest;
                ingest.run(client, node, pid, stop, t0);
                report.alive = node.isAlive(0);
                report.oomInLog = grep(node.logFile(0), "OutOfMemoryError");
                if (report.alive) {
                    report.histogram = histogram(pid, 12);
                    if (s.idleBeforeResendSeconds() > 0) {
                        step("waiting " + s.idleBeforeResendSeconds() + " s with no load (idle passivation)", t0);
                        Thread.sleep(s.idleBeforeResendSeconds() * 1000L);
                    }
                    step("duplicates: sending acknowledged batches again", t0);
                    report.resend = resend(s, ingest, client, node, t0);
                }
                step("verifying what is stored against what was acknowledged", t0);
                report.verify = verify(s, ingest, cassandra, client, report.alive, t0);
            }
            if (s.phases().contains("noisy")) {
                if (node.isAlive(0)) {
                    report.noisy = noisy(s, client, cassandra, t0);
                } else {
                    step("noisy neighbour: skipped, the node is gone (run it alone: PHASES=noisy)", t0);
                }
            }
            if (node.isAlive(0)) {
                report.end = sample("after all phases", node, pid, (System.nanoTime() - t0) / 1e9, -1, 0, t0);
            }
            report.alive = node.isAlive(0);
            report.oomInLog = grep(node.logFile(0), "OutOfMemoryError");
        } finally {
            if (node != null) {
                try {
                    Files.copy(node.logFile(0), out.resolve("tenants-node.log"), StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    System.out.println("could not keep the node's log: " + e);
                }
                node.close();
            }
            if (cassandra != null) {
                cassandra.kill();
            }
            if (!Boolean.getBoolean("keep.work")) {
                deleteRecursively(work);
            }
        }
        report.minutes = (System.nanoTime() - t0) / 60e9;
        step(String.format("done in %.1f min", report.minutes), t0);
        String section = report.render(started, cassandraName, commit(root));
        System.out.println();
        System.out.println(section);
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
        Files.writeString(out.resolve("tenants-" + stamp + ".md"), section, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("tenants-latest.md"), section, StandardCharsets.UTF_8);
        System.out.println("wrote " + out.resolve("tenants-" + stamp + ".md") + " (and tenants-latest.md; the node's log: "
                + out.resolve("tenants-node.log") + ")");
        System.exit(0);
    }

    // ------------------------------------------------------------------------------------------------ ingest

    static String workspace(int w) {
        return String.format("t%04d", w);
    }

    /**
     * Batch {@code index} of workspace {@code w}: records {@code index * batch ..}, each ~190 bytes, the same
     * bytes every time it is made (so a re-send is a duplicate, not a conflict), timestamps rising.
     */
    static byte[] batchBody(Settings s, long baseMillis, int w, int index) {
        int size = s.batchSize(index);
        StringBuilder body = new StringBuilder(size * 220).append('[');
        for (int i = 0; i < size; i++) {
            long r = (long) index * s.batch() + i;
            body.append(i > 0 ? "," : "").append(record("w" + w + "-" + r, baseMillis + r * 10, r));
        }
        return body.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    static String record(String id, long millis, long r) {
        return "{\"event_id\":\"" + id + "\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"" + Instant.ofEpochMilli(millis)
                + "\",\"user\":{\"id\":\"u" + (r % 50) + "\"},\"surface\":\"cli\",\"action\":\"codex.tool_result\","
                + "\"attributes\":{\"tool_name\":\"exec_command\",\"duration_ms\":" + (r % 997) + ",\"output\":\"ok " + r
                + "\"}}";
    }

    /** The ingest phase: its clients, what each workspace got acknowledged, the samples. */
    static final class Ingest {
        final Settings s;
        final long baseMillis = (System.currentTimeMillis() / 1000 - 86_400) * 1000;
        /** Per workspace: batches acknowledged (in order: batch i is sent only once batch i-1 is acknowledged). */
        final AtomicLongArray ackedBatches;
        final AtomicLongArray ackedRecords;
        final AtomicLongArray lastSeq;
        /** Per workspace: a batch was sent and had no answer when the run stopped (it may or may not be stored). */
        final AtomicLongArray unsettled;
        final AtomicLong acked = new AtomicLong();
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final Counters counters = new Counters();
        final List<Sample> samples = new CopyOnWriteArrayList<>();
        volatile double seconds;
        volatile double diedAtSeconds = -1;
        volatile long ackedAtDeath = -1;
        volatile double stalledAtSeconds = -1;
        volatile String stopReason = "complete";
        long peakHeapKb;
        volatile List<String> peakHistogram = List.of();
        volatile Sample peakHistogramAt;

        Ingest(Settings s) {
            this.s = s;
            ackedBatches = new AtomicLongArray(s.workspaces());
            ackedRecords = new AtomicLongArray(s.workspaces());
            lastSeq = new AtomicLongArray(s.workspaces());
            unsettled = new AtomicLongArray(s.workspaces());
        }

        long expected() {
            return (long) s.workspaces() * s.records();
        }

        void run(Client client, LedgerNodes node, long pid, AtomicBoolean stop, long t0) throws InterruptedException {
            long start = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < s.clients(); c++) {
                int me = c;
                Thread thread = new Thread(() -> client(me, client, stop), "tenant-client-" + c);
                threads.add(thread);
                thread.start();
            }
            long lastAcked = 0;
            double lastAt = 0;
            double lastProgressAt = 0;
            long nextSampleAt = start + s.sampleSeconds() * 1_000_000_000L;
            while (threads.stream().anyMatch(Thread::isAlive)) {
                Thread.sleep(200);
                double at = (System.nanoTime() - start) / 1e9;
                if (!node.isAlive(0)) {
                    diedAtSeconds = at;
                    ackedAtDeath = acked.get();
                    stopReason = "the node died";
                    step(String.format("THE NODE DIED at %.0f s of ingest, %d records acknowledged; last lines of its log:%n%s",
                            at, ackedAtDeath, node.tail(0)), t0);
                    stop.set(true);
                    break;
                }
                long now = acked.get();
                if (now > lastAcked) {
                    lastProgressAt = at;
                }
                if (at - lastProgressAt > s.stallSeconds()) {
                    stalledAtSeconds = at;
                    stopReason = "no record acknowledged for " + s.stallSeconds() + " s";
                    step("STALLED: " + stopReason + "; stopping the clients", t0);
                    stop.set(true);
                    break;
                }
                if (System.nanoTime() >= nextSampleAt) {
                    double rate = (now - lastAcked) / Math.max(1e-9, at - lastAt);
                    Sample sample = TenantsBenchmark.sample("ingest", node, pid, at, now, rate, t0);
                    samples.add(sample);
                    if (s.histogramAtPeak() && sample.heapUsedKb() > peakHeapKb * 1.1 && sample.alive()) {
                        // a new peak: what fills the heap (one more full GC)
                        peakHeapKb = sample.heapUsedKb();
                        peakHistogram = histogram(pid, 12);
                        peakHistogramAt = sample;
                    }
                    lastAcked = now;
                    lastAt = at;
                    nextSampleAt = System.nanoTime() + s.sampleSeconds() * 1_000_000_000L;
                }
            }
            for (Thread thread : threads) {
                thread.join(TimeUnit.MINUTES.toMillis(2));
            }
            seconds = (System.nanoTime() - start) / 1e9;
            if (node.isAlive(0)) {
                samples.add(TenantsBenchmark.sample("ingest", node, pid, seconds, acked.get(),
                        (acked.get() - lastAcked) / Math.max(1e-9, seconds - lastAt), t0));
            } else if (diedAtSeconds < 0) {
                diedAtSeconds = seconds;
                ackedAtDeath = acked.get();
                stopReason = "the node died";
            }
            step(String.format("ingest over (%s): %d of %d records acknowledged in %.0f s, %.0f records/s; %s", stopReason,
                    acked.get(), expected(), seconds, acked.get() / seconds, counters.describe()), t0);
        }

        /** Client {@code me}: workspaces me, me + clients, …; round r sends batch r of each of them. */
        private void client(int me, Client client, AtomicBoolean stop) {
            for (int round = 0; round < s.batchesPerWorkspace(); round++) {
                for (int w = me; w < s.workspaces(); w += s.clients()) {
                    if (stop.get()) {
                        return;
                    }
                    byte[] body = batchBody(s, baseMillis, w, round);
                    int size = s.batchSize(round);
                    unsettled.set(w, 1);
                    Sent sent = client.send(workspace(w), KEY, body, counters);
                    requests.incrementAndGet();
                    if (sent.status() == 0) {
                        return; // stopping: the batch stays unsettled
                    }
                    unsettled.set(w, 0);
                    if (!sent.ok()) {
                        stopReason = "an unexpected answer: " + sent.error();
                        stop.set(true);
                        return;
                    }
                    ackedBatches.incrementAndGet(w);
                    ackedRecords.addAndGet(w, size);
                    acked.addAndGet(size);
                    accepted.addAndGet(sent.accepted());
                    duplicates.addAndGet(sent.duplicates());
                    if (sent.lastSeq() > 0) {
                        lastSeq.accumulateAndGet(w, sent.lastSeq(), Math::max);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------- sampling

    /** A full GC of the node, then its heap, RSS and live entities; prints a progress line. */
    static Sample sample(String what, LedgerNodes node, long pid, double at, long acked, double rate, long t0) {
        boolean alive = node.isAlive(0);
        long[] heap = alive ? heapAfterGc(pid) : new long[] {-1, -1};
        long rss = rssKb(pid);
        long entities = -1;
        if (alive) {
            try {
                entities = node.entities(0, "WorkspaceLedger");
            } catch (IOException e) {
                entities = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String memory = alive ? nodeMemory(node) : null;
        Sample sample = new Sample(at, acked, rate, heap[1], heap[0], rss, entities, alive, memory);
        step(String.format("  %s %6.0f s  acked %,12d  %8.0f records/s  heap after GC %8s of %s  RSS %8s  ledgers in memory %s%s%s",
                what, at, Math.max(0, acked), rate, mb(heap[1]), mb(heap[0]), mb(rss), entities, alive ? "" : "  NODE GONE",
                memory == null ? "" : "\n             GET /v1/admin/node/memory: " + memory), t0);
        return sample;
    }

    private static final HttpClient ADMIN_HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * {@code GET /v1/admin/node/memory} when the node has it (its own view of its memory bounds: active ledgers,
     * passivations for memory, refusals), compact JSON; null when it has not (404) or does not answer.
     */
    static String nodeMemory(LedgerNodes node) {
        try {
            HttpResponse<String> response = ADMIN_HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl(0)
                            + "/v1/admin/node/memory")).header("Authorization", "Bearer " + KEY)
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? JSON.readTree(response.body()).toString() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** {@code jcmd <pid> GC.run}, then {@code jcmd <pid> GC.heap_info}: {total, used} in KiB, -1 if unknown. */
    static long[] heapAfterGc(long pid) {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher m = HEAP_USED.matcher(info);
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : new long[] {-1, -1};
    }

    /** The biggest classes on the node's heap ({@code jcmd GC.class_histogram}, itself after a full GC). */
    static List<String> histogram(long pid, int top) {
        List<String> lines = new ArrayList<>();
        for (String line : jcmd(pid, "GC.class_histogram").split("\n")) {
            if (line.trim().matches("\\d+:\\s+\\d+\\s.*")) {
                lines.add(line.trim());
                if (lines.size() == top) {
                    break;
                }
            }
        }
        return lines;
    }

    static String jcmd(long pid, String command) {
        String jcmd = ProcessHandle.current().info().command().map(j -> Path.of(j).resolveSibling("jcmd"))
                .filter(Files::isExecutable).map(Path::toString).orElse("jcmd");
        try {
            Process p = new ProcessBuilder(jcmd, Long.toString(pid), command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------ duplicates

    record Resend(int early, int recent, int batches, long records, long accepted, long duplicates, List<String> wrong, long entitiesBefore,
                  long entitiesAfter, double p50Millis, double maxMillis, List<String> workspaces) {}

    /** Acknowledged batches sent again: batch 0 of the first workspaces, the last acknowledged batch of the last ones. */
    static Resend resend(Settings s, Ingest ingest, Client client, LedgerNodes node, long t0) throws Exception {
        List<int[]> picks = new ArrayList<>(); // {workspace, batch}
        // a small run keeps room for the recent ones
        int early = Math.min(s.resendEarly(), Math.max(0, s.workspaces() - s.resendRecent()));
        for (int w = 0; w < s.workspaces() && picks.size() < early; w++) {
            if (ingest.ackedBatches.get(w) > 0) {
                picks.add(new int[] {w, 0});
            }
        }
        int recent = 0;
        for (int w = s.workspaces() - 1; w >= 0 && recent < s.resendRecent(); w--) {
            long batches = ingest.ackedBatches.get(w);
            if (batches > 1 && w >= early) {
                picks.add(new int[] {w, (int) batches - 1});
                recent++;
            }
        }
        long before = node.entities(0, "WorkspaceLedger");
        Counters counters = new Counters();
        long records = 0;
        long accepted = 0;
        long duplicates = 0;
        List<String> wrong = new ArrayList<>();
        long[] nanos = new long[picks.size()];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < picks.size(); i++) {
            int w = picks.get(i)[0];
            int b = picks.get(i)[1];
            int size = s.batchSize(b);
            names.add(workspace(w) + "#" + b);
            Sent sent = client.send(workspace(w), KEY, batchBody(s, ingest.baseMillis, w, b), counters);
            nanos[i] = sent.nanos();
            records += size;
            accepted += sent.accepted();
            duplicates += sent.duplicates();
            if (!sent.ok() || sent.accepted() != 0 || sent.duplicates() != size) {
                wrong.add(workspace(w) + " batch " + b + ": " + (sent.ok() ? "accepted " + sent.accepted()
                        + ", duplicates " + sent.duplicates() + " of " + size : sent.error()));
            }
        }
        long after = node.entities(0, "WorkspaceLedger");
        Arrays.sort(nanos);
        Resend resend = new Resend(picks.size() - recent, recent, picks.size(), records, accepted, duplicates, wrong, before, after,
                nanos.length == 0 ? Double.NaN : nanos[nanos.length / 2] / 1e6,
                nanos.length == 0 ? Double.NaN : nanos[nanos.length - 1] / 1e6, names);
        step(String.format("  %d batches (%d records) sent again: %d duplicates, %d accepted, %d wrong; ledgers in memory"
                        + " %d before, %d after; ack p50 %.0f ms, max %.0f ms; %s", resend.batches(), records, duplicates,
                accepted, wrong.size(), before, after, resend.p50Millis(), resend.maxMillis(), counters.describe()), t0);
        return resend;
    }

    // -------------------------------------------------------------------------------------------- stored

    record Verify(int workspaces, int headChecked, List<String> headWrong, int rowsChecked, List<String> rowsWrong,
                  int apiChecked, List<String> apiWrong, long storedHeadTotal, double seconds, String note) {}

    /**
     * Per workspace, the writer fence's acknowledged head ({@code ledger_writers.last_seq}, all workspaces) and the
     * highest seq any answer named must equal the records acknowledged; for a sample the rows of {@code records}
     * (count and highest seq, CQL) and a read through the records API must too. After a death, a workspace with a
     * batch unanswered may hold that batch too (never less than acknowledged).
     */
    static Verify verify(Settings s, Ingest ingest, LocalCassandra cassandra, Client client, boolean nodeAlive, long t0)
            throws Exception {
        long start = System.nanoTime();
        List<String> headWrong = new ArrayList<>();
        List<String> rowsWrong = new ArrayList<>();
        List<String> apiWrong = new ArrayList<>();
        long storedTotal = 0;
        int rowsChecked = 0;
        int apiChecked = 0;
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60)).build();
        try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                .withLocalDatacenter(LocalCassandra.DATACENTER).withConfigLoader(config).build()) {
            java.util.Map<String, Long> heads = new java.util.HashMap<>();
            for (Row row : session.execute(SimpleStatement.newInstance(
                    "SELECT workspace, last_seq FROM " + KEYSPACE + ".ledger_writers").setPageSize(1000))) {
                heads.put(row.getString("workspace"), row.isNull("last_seq") ? 0L : row.getLong("last_seq"));
            }
            for (int w = 0; w < s.workspaces(); w++) {
                long acked = ingest.ackedRecords.get(w);
                long head = heads.getOrDefault(workspace(w), 0L);
                storedTotal += head;
                long slack = ingest.unsettled.get(w) == 1 ? s.batchSize((int) ingest.ackedBatches.get(w)) : 0;
                if (head < acked || head > acked + slack) {
                    headWrong.add(workspace(w) + ": acknowledged " + acked + ", head " + head);
                }
                // a batch whose first try was stored but unanswered (a timeout) is answered all-duplicates on
                // its retry, without a last_seq: then the highest seq answered may lag, but never lead
                long answered = ingest.lastSeq.get(w);
                if (answered > acked || (answered < acked && ingest.duplicates.get() == 0)) {
                    headWrong.add(workspace(w) + ": acknowledged " + acked + ", highest seq answered " + answered);
                }
            }
            Set<Integer> sample = sample(s.workspaces(), s.verifyRowsSample());
            for (int w : sample) {
                long acked = ingest.ackedRecords.get(w);
                long slack = ingest.unsettled.get(w) == 1 ? s.batchSize((int) ingest.ackedBatches.get(w)) : 0;
                Set<Long> buckets = new HashSet<>();
                for (Row row : session.execute("SELECT bucket FROM " + KEYSPACE + ".record_hours WHERE workspace = ?",
                        workspace(w))) {
                    buckets.add(row.getLong("bucket"));
                }
                long rows = 0;
                long max = 0;
                for (long bucket : buckets) {
                    for (Row row : session.execute(SimpleStatement.newInstance("SELECT seq FROM " + KEYSPACE
                            + ".records WHERE workspace = ? AND bucket = ?", workspace(w), bucket).setPageSize(5000))) {
                        rows++;
                        max = Math.max(max, row.getLong("seq"));
                    }
                }
                rowsChecked++;
                if (rows < acked || rows > acked + slack || max != rows) {
                    rowsWrong.add(workspace(w) + ": acknowledged " + acked + ", rows " + rows + ", highest seq " + max);
                }
            }
        }
        if (nodeAlive) {
            for (int w : sample(s.workspaces(), s.verifyApiSample())) {
                long acked = ingest.ackedRecords.get(w);
                long count = 0;
                String cursor = null;
                do {
                    String path = "/v1/workspaces/" + workspace(w) + "/records?limit=1000"
                            + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
                    HttpResponse<String> response = client.get(path, KEY);
                    if (response.statusCode() != 200) {
                        apiWrong.add(workspace(w) + ": GET records " + response.statusCode() + " " + abbreviate(response.body()));
                        break;
                    }
                    JsonNode page = JSON.readTree(response.body());
                    count += page.path("records").size();
                    cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
                } while (cursor != null);
                apiChecked++;
                if (count != acked) {
                    apiWrong.add(workspace(w) + ": acknowledged " + acked + ", records API returned " + count);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Verify verify = new Verify(s.workspaces(), s.workspaces(), headWrong, rowsChecked, rowsWrong, apiChecked, apiWrong,
                storedTotal, seconds, nodeAlive ? "" : "the node had died: the records API was not read");
        step(String.format("  heads of %d workspaces: %d wrong; rows of %d: %d wrong; records API of %d: %d wrong (%.0f s)%s",
                s.workspaces(), headWrong.size(), rowsChecked, rowsWrong.size(), apiChecked, apiWrong.size(), seconds,
                headWrong.isEmpty() && rowsWrong.isEmpty() && apiWrong.isEmpty() ? ""
                        : "\n    " + String.join("\n    ", first(concat(headWrong, rowsWrong, apiWrong), 20))), t0);
        return verify;
    }

    /** {@code size} workspaces spread over 0..workspaces-1, always with the first and the last (all when size >= workspaces). */
    static Set<Integer> sample(int workspaces, int size) {
        Set<Integer> picked = new java.util.TreeSet<>();
        if (size <= 0) {
            return picked;
        }
        if (size >= workspaces) {
            for (int w = 0; w < workspaces; w++) {
                picked.add(w);
            }
            return picked;
        }
        picked.add(0);
        picked.add(workspaces - 1);
        for (int i = 1; picked.size() < size; i++) {
            picked.add((int) ((long) i * workspaces / size) % workspaces);
        }
        return picked;
    }

    // ---------------------------------------------------------------------------------------- noisy neighbour

    record Latencies(int requests, double p50, double p99, double max, long refused) {
        static Latencies of(List<Long> nanos, long refused) {
            long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
            return new Latencies(sorted.length, pct(sorted, 0.50), pct(sorted, 0.99),
                    sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6, refused);
        }
    }

    record Noisy(Latencies alone, Latencies withNoise, double noisyRecordsPerSecond, Counters noisyCounters,
                 long noisyRecords, double seconds, boolean ownKeys, boolean nodeDied) {
        double ratio() {
            return withNoise.p99() / alone.p99();
        }
    }

    static Noisy noisy(Settings s, Client client, LocalCassandra cassandra, long t0) throws Exception {
        String quietKey = workspaceKey(client, "quiet");
        String noisyKey = workspaceKey(client, "noisy");
        boolean ownKeys = !quietKey.equals(KEY) && !noisyKey.equals(KEY);
        AtomicLong ids = new AtomicLong();
        if (s.warmupSeconds() > 0) {
            step("noisy neighbour: " + s.warmupSeconds() + " s warm-up (both kinds of load, other workspaces)", t0);
            AtomicBoolean warmStop = new AtomicBoolean();
            List<Thread> flood = flood(s, client, KEY, "warm-noisy", ids, warmStop, new Counters(), new AtomicLong());
            quiet(s, client, KEY, "warm-quiet", ids, Duration.ofSeconds(s.warmupSeconds()), new Counters());
            warmStop.set(true);
            for (Thread t : flood) {
                t.join();
            }
        }
        if (s.quietWaitSeconds() > 0) {
            // after a long ingest Cassandra flushes and compacts for a while: not while the quiet workspace is measured alone
            step("noisy neighbour: waiting (at most " + s.quietWaitSeconds() + " s) until Cassandra runs no flush or compaction", t0);
            try (CqlSession session = CqlSession.builder().addContactPoint(cassandra.contactPoint())
                    .withLocalDatacenter(LocalCassandra.DATACENTER).build()) {
                Benchmark.awaitQuiet(session, Duration.ofSeconds(s.quietWaitSeconds()));
            }
        }
        List<Long> aloneNanos = new ArrayList<>();
        List<Long> noiseNanos = new ArrayList<>();
        Counters quietAloneCounters = new Counters();
        Counters quietCounters = new Counters();
        Counters during = new Counters();
        long flooded = 0;
        double seconds = 0;
        boolean died = false;
        for (int round = 1; round <= s.noisyRounds(); round++) {
            String of = s.noisyRounds() > 1 ? " (round " + round + " of " + s.noisyRounds() + ")" : "";
            step("noisy neighbour: the quiet workspace alone, " + s.phaseSeconds() + " s of " + s.quietBatch()
                    + "-record batches one at a time" + of, t0);
            List<Long> alone = quiet(s, client, quietKey, "quiet", ids, Duration.ofSeconds(s.phaseSeconds()), quietAloneCounters);
            aloneNanos.addAll(alone);
            Latencies a = Latencies.of(alone, 0);
            step(String.format("  alone: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms", a.requests(), a.p50(), a.p99(),
                    a.max()), t0);
            step("noisy neighbour: the same with " + s.noisyClients() + " clients flooding workspace noisy with "
                    + s.noisyBatch() + "-record batches" + of, t0);
            AtomicBoolean stop = new AtomicBoolean();
            Counters noisyCounters = new Counters();
            AtomicLong noisyRecords = new AtomicLong();
            List<Thread> flood = flood(s, client, noisyKey, "noisy", ids, stop, noisyCounters, noisyRecords);
            Thread.sleep(3000); // the flood builds up before the quiet client is measured
            long floodFrom = noisyRecords.get();
            long refusedFrom = noisyCounters.refused429.get();
            long refused503From = noisyCounters.refused503.get();
            long start = System.nanoTime();
            List<Long> withNoise = quiet(s, client, quietKey, "quiet", ids, Duration.ofSeconds(s.phaseSeconds()), quietCounters);
            double roundSeconds = (System.nanoTime() - start) / 1e9;
            long roundFlooded = noisyRecords.get() - floodFrom;
            during.refused429.addAndGet(noisyCounters.refused429.get() - refusedFrom);
            during.refused503.addAndGet(noisyCounters.refused503.get() - refused503From);
            stop.set(true);
            for (Thread t : flood) {
                t.join();
            }
            during.connectionErrors.addAndGet(noisyCounters.connectionErrors.get());
            during.otherErrors.addAndGet(noisyCounters.otherErrors.get());
            if (during.firstError == null) {
                during.firstError = noisyCounters.firstError;
            }
            noiseNanos.addAll(withNoise);
            flooded += roundFlooded;
            seconds += roundSeconds;
            if (!client.nodeAlive.getAsBoolean()) {
                step("  THE NODE DIED during the noisy neighbour phase (round " + round + ")", t0);
                died = true;
                break;
            }
            Latencies w = Latencies.of(withNoise, 0);
            step(String.format("  with noise: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms; noisy: %.0f records/s;"
                            + " p99 ratio %.2f×", w.requests(), w.p50(), w.p99(), w.max(), roundFlooded / roundSeconds,
                    w.p99() / a.p99()), t0);
        }
        Latencies alone = Latencies.of(aloneNanos, quietAloneCounters.refused429.get() + quietAloneCounters.refused503.get());
        Latencies withNoise = Latencies.of(noiseNanos, quietCounters.refused429.get() + quietCounters.refused503.get());
        Noisy noisy = new Noisy(alone, withNoise, flooded / seconds, during, flooded, seconds, ownKeys, died);
        step(String.format("  in all: quiet alone p99 %.1f ms (%s), with noise p99 %.1f ms (%s); noisy %.0f records/s, %s;"
                        + " p99 ratio %.2f×", alone.p99(), quietAloneCounters.describe(), withNoise.p99(),
                quietCounters.describe(), noisy.noisyRecordsPerSecond(), during.describe(), noisy.ratio()), t0);
        return noisy;
    }

    /** A workspace key with the ingest scope ({@code POST /v1/admin/keys}); the admin key if that fails. */
    static String workspaceKey(Client client, String workspace) {
        try {
            HttpResponse<String> response = client.post("/v1/admin/keys", KEY, "{\"workspace\":\"" + workspace
                    + "\",\"scopes\":[\"ingest\"],\"name\":\"tenants-benchmark-" + workspace + "\"}");
            if (response.statusCode() == 201 || response.statusCode() == 200) {
                return JSON.readTree(response.body()).path("secret").asText();
            }
            System.out.println("  no workspace key for " + workspace + " (" + response.statusCode() + "): the admin key");
        } catch (IOException e) {
            System.out.println("  no workspace key for " + workspace + " (" + e + "): the admin key");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return KEY;
    }

    /** One client, one small batch at a time, for {@code duration}: each batch's time to its 200 (retries included). */
    static List<Long> quiet(Settings s, Client client, String key, String workspace, AtomicLong ids, Duration duration,
                            Counters counters) {
        List<Long> nanos = new ArrayList<>();
        long end = System.nanoTime() + duration.toNanos();
        long base = System.currentTimeMillis();
        AtomicBoolean never = new AtomicBoolean();
        Client own = new Client(client.base, client.capMillis, never, client.nodeAlive);
        while (System.nanoTime() < end) {
            byte[] body = smallBatch(workspace, ids, base, s.quietBatch());
            Sent sent = own.send(workspace, key, body, counters);
            if (sent.ok()) {
                nanos.add(sent.nanos());
            } else if (sent.status() == 0) {
                break; // the node is gone
            } else {
                sleep(100); // counted in other errors; the report names the first
            }
        }
        return nanos;
    }

    /** {@code noisy.clients} threads sending {@code noisy.batch}-record batches to one workspace until {@code stop}. */
    static List<Thread> flood(Settings s, Client client, String key, String workspace, AtomicLong ids, AtomicBoolean stop,
                              Counters counters, AtomicLong records) {
        List<Thread> threads = new ArrayList<>();
        long base = System.currentTimeMillis();
        for (int i = 0; i < s.noisyClients(); i++) {
            Thread thread = new Thread(() -> {
                Client own = new Client(client.base, client.capMillis, stop, client.nodeAlive);
                while (!stop.get()) {
                    Sent sent = own.send(workspace, key, smallBatch(workspace, ids, base, s.noisyBatch()), counters);
                    if (sent.ok()) {
                        records.addAndGet(s.noisyBatch());
                    } else if (sent.status() != 0) {
                        sleep(100);
                    }
                }
            }, "flood-" + workspace + "-" + i);
            threads.add(thread);
            thread.start();
        }
        return threads;
    }

    static byte[] smallBatch(String workspace, AtomicLong ids, long baseMillis, int size) {
        StringBuilder body = new StringBuilder(size * 220).append('[');
        for (int i = 0; i < size; i++) {
            long r = ids.incrementAndGet();
            body.append(i > 0 ? "," : "").append(record(workspace + "-" + r, baseMillis + r, r));
        }
        return body.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    // -------------------------------------------------------------------------------------------- report

    static final class Report {
        final Settings s;
        Sample idle;
        Sample end;
        Ingest ingest;
        Resend resend;
        Verify verify;
        Noisy noisy;
        boolean alive;
        boolean oomInLog;
        List<String> histogram = List.of();
        double minutes;

        Report(Settings s) {
            this.s = s;
        }

        String render(Instant started, String cassandraName, String commit) {
            StringBuilder r = new StringBuilder();
            r.append("## Thousands of tenants per node (issue 14)\n\n");
            r.append("Run at ").append(started).append(" (").append(String.format("%.1f", minutes)).append(" min) on `")
                    .append(Results.host()).append("`: ").append(Runtime.getRuntime().availableProcessors())
                    .append(" cores, ").append(Results.memoryGib()).append(" GiB, ").append(System.getProperty("java.vm.name"))
                    .append(' ').append(System.getProperty("java.version")).append(", ").append(cassandraName)
                    .append(" (local, same machine, heap ").append(s.cassandraHeapMb()).append(" MB), Pekko ")
                    .append(org.apache.pekko.Version.current()).append("; commit `").append(commit).append("`.\n\n");
            r.append("Command: `").append(s.command()).append("`\n\n");
            r.append("One ledger node in its own JVM: `-Xmx").append(s.nodeHeap()).append(' ')
                    .append(System.getProperty("ledger.jvm.options", "")).append("`").append(ingest == null ? ".\n\n" : "; ");
            if (ingest != null) {
                r.append(s.workspaces())
                    .append(" workspaces × ").append(s.records()).append(" records (~190 bytes each, synthetic ids) in batches of ")
                    .append(s.batch()).append(", ").append(s.clients()).append(" clients, each cycling through its share of the"
                            + " workspaces (one batch each per round). Refused requests (429/503) and connection errors are"
                            + " retried after Retry-After (capped at ").append(s.retryCapMillis())
                    .append(" ms, jitter 0.5–1.5×). Heap after GC: `jcmd <pid> GC.run`, then `jcmd <pid> GC.heap_info`, every ")
                    .append(s.sampleSeconds()).append(" s (the full GC pauses the node briefly each time); ledgers in memory:"
                            + " the sum of `numEntities` of `GET /cluster/shards/WorkspaceLedger` on the management port.\n\n");
                renderIngest(r);
            }
            if (noisy != null) {
                renderNoisy(r);
            } else if (s.phases().contains("noisy")) {
                r.append("### Noisy neighbour\n\nNot run: the node was gone (run it alone with `PHASES=noisy`).\n\n");
            }
            if (end == null && !alive) {
                r.append(String.format("%nThe node was gone at the end%s.%n", oomInLog ? " (OutOfMemoryError in its log)" : ""));
            }
            if (end != null) {
                r.append(String.format("%nThe node after all phases: heap after GC %s (idle at the start: %s), RSS %s, %d ledgers"
                                + " in memory, %s.%n", mb(end.heapUsedKb()), idle == null ? "–" : mb(idle.heapUsedKb()),
                        mb(end.rssKb()), end.entities(), alive ? "alive" : "gone"));
                if (end.nodeMemory() != null) {
                    r.append("`GET /v1/admin/node/memory`: `").append(end.nodeMemory()).append("`\n");
                }
            }
            return r.toString();
        }

        private void renderIngest(StringBuilder r) {
            Ingest in = ingest;
            long peakHeap = in.samples.stream().mapToLong(Sample::heapUsedKb).max().orElse(-1);
            long peakRss = in.samples.stream().mapToLong(Sample::rssKb).max().orElse(-1);
            Sample last = in.samples.isEmpty() ? null : in.samples.get(in.samples.size() - 1);
            boolean died = in.diedAtSeconds >= 0;
            r.append("### Ingest\n\n| | |\n|---|---|\n");
            r.append(String.format("| records acknowledged | **%,d** of %,d (%s) |%n", in.acked.get(), in.expected(), in.stopReason));
            r.append(String.format("| records/s (whole ingest) | **%.0f** over %.0f s (%,d requests) |%n",
                    in.acked.get() / in.seconds, in.seconds, in.requests.get()));
            r.append(String.format("| accepted / duplicates in the answers | %,d / %,d |%n", in.accepted.get(), in.duplicates.get()));
            r.append("| refused and retried | ").append(in.counters.describe()).append(" |\n");
            r.append("| node | ").append(died ? String.format("**died** at %.0f s of ingest, after %,d records acknowledged",
                    in.diedAtSeconds, in.ackedAtDeath) : "alive at the end").append(" |\n");
            r.append("| OutOfMemoryError in the node's log (any phase) | ").append(oomInLog ? "**yes**" : "no").append(" |\n");
            r.append("| heap after GC: idle / peak / end of ingest | ").append(idle == null ? "–" : mb(idle.heapUsedKb()))
                    .append(" / **").append(mb(peakHeap)).append("** / ").append(last == null ? "–" : mb(last.heapUsedKb()))
                    .append(" (of ").append(last == null ? "–" : mb(last.heapTotalKb())).append(" committed) |\n");
            r.append("| node RSS: idle / peak | ").append(idle == null ? "–" : mb(idle.rssKb())).append(" / ").append(mb(peakRss))
                    .append(" |\n");
            r.append("| ledgers in memory at the end of ingest | ").append(last == null ? "–" : last.entities()).append(" of ")
                    .append(s.workspaces()).append(" |\n");
            Sample lastMemory = null;
            for (Sample x : in.samples) {
                if (x.nodeMemory() != null) {
                    lastMemory = x;
                }
            }
            if (lastMemory != null) {
                r.append(String.format("| `GET /v1/admin/node/memory` at %.0f s | `%s` |%n", lastMemory.seconds(),
                        lastMemory.nodeMemory().replace("|", "\\|")));
            }
            r.append('\n');
            r.append("| elapsed | acknowledged | records/s | heap after GC | RSS | ledgers in memory |\n");
            r.append("|---:|---:|---:|---:|---:|---:|\n");
            List<Sample> rows = thin(in.samples, 24);
            for (Sample x : rows) {
                r.append(String.format("| %.0f s | %,d | %.0f | %s | %s | %s |%n", x.seconds(), x.acked(), x.rate(),
                        mb(x.heapUsedKb()), mb(x.rssKb()), x.alive() ? Long.toString(x.entities()) : "gone"));
            }
            if (rows.size() < in.samples.size()) {
                r.append("\n(").append(rows.size()).append(" of ").append(in.samples.size()).append(" samples shown.)\n");
            }
            if (!in.peakHistogram.isEmpty()) {
                r.append(String.format("%nBiggest classes on the node's heap at the highest sample (%.0f s, %,d records acknowledged,"
                        + " heap after GC %s; `jcmd GC.class_histogram`: #, instances, bytes, class):%n%n```%n",
                        in.peakHistogramAt.seconds(), in.peakHistogramAt.acked(), mb(in.peakHistogramAt.heapUsedKb())));
                in.peakHistogram.forEach(line -> r.append(line).append('\n'));
                r.append("```\n");
            }
            if (!histogram.isEmpty()) {
                r.append("\nBiggest classes on the node's heap after ingest (`jcmd GC.class_histogram`: #, instances, bytes,"
                        + " class):\n\n```\n");
                histogram.forEach(line -> r.append(line).append('\n'));
                r.append("```\n");
            }
            r.append("\n### Duplicates after passivation\n\n");
            if (resend == null) {
                r.append("Not checked: the node was gone.\n\n");
            } else {
                r.append(String.format("%d acknowledged batches (%,d records) sent again after ingest — batch 0 of the first %d"
                                + " workspaces and the last batch of %d recent ones%s: **%,d duplicates, %,d accepted** (expected"
                                + " %,d and 0)%s. Ledgers in memory before / after: %d / %d of %d (fewer than the workspaces"
                                + " before means some had been passivated; the re-send recovers them). Ack of a re-sent batch:"
                                + " p50 %.0f ms, max %.0f ms.%n%n",
                        resend.batches(), resend.records(), resend.early(), resend.recent(),
                        s.idleBeforeResendSeconds() > 0 ? ", after " + s.idleBeforeResendSeconds() + " s without load" : "",
                        resend.duplicates(), resend.accepted(), resend.records(),
                        resend.wrong().isEmpty() ? ": **all caught**" : ": **" + resend.wrong().size() + " batches wrong**: "
                                + String.join("; ", first(resend.wrong(), 10)),
                        resend.entitiesBefore(), resend.entitiesAfter(), s.workspaces(), resend.p50Millis(),
                        resend.maxMillis()));
            }
            r.append("### Every acknowledged record stored\n\n");
            if (verify != null) {
                List<String> wrong = concat(verify.headWrong(), verify.rowsWrong(), verify.apiWrong());
                r.append(String.format("Per workspace, read over CQL: the writer fence's acknowledged head"
                                + " (`ledger_writers.last_seq`) of all %d workspaces (%,d records in total), and the highest"
                                + " `last_seq` in the answers, against the records acknowledged; the rows of `records` (count and"
                                + " highest seq) of %d workspaces; and `GET /v1/workspaces/{ws}/records` paged through for %d"
                                + " (%.0f s in all)%s. Resent batches included (they must not have moved a head). Result: %s%n%n",
                        verify.workspaces(), verify.storedHeadTotal(), verify.rowsChecked(), verify.apiChecked(),
                        verify.seconds(), (verify.note().isEmpty() ? "" : "; " + verify.note())
                                + (verify.storedHeadTotal() != in.acked.get() ? String.format("; %,d records stored beyond"
                                + " those acknowledged (batches unanswered when the run stopped: allowed)",
                                verify.storedHeadTotal() - in.acked.get()) : ""),
                        wrong.isEmpty() ? "**every acknowledged record stored, nothing more**."
                                : "**" + wrong.size() + " mismatches**: " + String.join("; ", first(wrong, 10)) + "."));
            }
        }

        private void renderNoisy(StringBuilder r) {
            Noisy n = noisy;
            r.append("### Noisy neighbour\n\n");
            r.append(String.format("Workspace `quiet`: one client, one %d-record batch at a time, %d s alone, then %d s while %d"
                            + " clients send %d-record batches to workspace `noisy` as fast as they are answered (retrying"
                            + " 429/503 after Retry-After)%s; %s. Latency: from the first try to the 200, retries included."
                            + (s.noisyRounds() > 1 ? " " + s.noisyRounds() + " such rounds, alternating, their latencies"
                            + " pooled." : "") + "%n%n",
                    s.quietBatch(), s.phaseSeconds(), s.phaseSeconds(), s.noisyClients(), s.noisyBatch(),
                    (s.warmupSeconds() > 0 ? ", after a " + s.warmupSeconds() + " s warm-up on other workspaces" : "")
                            + (s.quietWaitSeconds() > 0 ? " and a wait (at most " + s.quietWaitSeconds()
                            + " s) until Cassandra ran no flush or compaction" : ""),
                    n.ownKeys() ? "each workspace with its own ingest key" : "both with the admin key"));
            r.append("| quiet workspace | requests | p50 | p99 | max | refused |\n|---|---:|---:|---:|---:|---:|\n");
            r.append(String.format("| alone | %d | %.1f ms | %.1f ms | %.1f ms | %d |%n", n.alone().requests(), n.alone().p50(),
                    n.alone().p99(), n.alone().max(), n.alone().refused()));
            r.append(String.format("| with the noisy neighbour | %d | %.1f ms | %.1f ms | %.1f ms | %d |%n%n",
                    n.withNoise().requests(), n.withNoise().p50(), n.withNoise().p99(), n.withNoise().max(),
                    n.withNoise().refused()));
            r.append(String.format("Noisy workspace meanwhile: **%.0f records/s**, %s.%n%n", n.noisyRecordsPerSecond(),
                    n.noisyCounters().describe()));
            if (n.nodeDied()) {
                r.append("**The node died during this phase** (see the node's log): no ratio.\n");
            } else {
                r.append(String.format("**Noisy-neighbour ratio (quiet p99 with noise / alone): %.2f×** (goal ≤ 2×: %s).%n",
                        n.ratio(), n.ratio() <= 2 ? "met" : "**not met**"));
            }
        }
    }

    // -------------------------------------------------------------------------------------------- helpers

    static <T> List<T> thin(List<T> all, int max) {
        if (all.size() <= max) {
            return all;
        }
        List<T> rows = new ArrayList<>();
        for (int i = 0; i < max - 1; i++) {
            rows.add(all.get((int) ((long) i * (all.size() - 1) / (max - 1))));
        }
        rows.add(all.get(all.size() - 1));
        return rows;
    }

    @SafeVarargs
    static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    static List<String> first(List<String> list, int n) {
        return list.size() <= n ? list : list.subList(0, n);
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    static long retryAfterMillis(String value) {
        try {
            return Math.max(0, (long) (Double.parseDouble(value.trim()) * 1000));
        } catch (NumberFormatException e) {
            return 1000;
        }
    }

    static String mb(long kb) {
        return kb < 0 ? "–" : String.format("%.0f MB", kb / 1024.0);
    }

    static String abbreviate(String text) {
        String flat = text == null ? "" : text.replace('\n', ' ');
        return flat.length() > 200 ? flat.substring(0, 200) + "…" : flat;
    }

    static boolean grep(Path file, String text) {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.anyMatch(line -> line.contains(text));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    static String commit(Path root) {
        try {
            Process p = new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "--short", "HEAD")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            Process dirty = new ProcessBuilder("git", "-C", root.toString(), "status", "--porcelain", "--", "modules")
                    .redirectErrorStream(true).start();
            String changes = new String(dirty.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            dirty.waitFor(10, TimeUnit.SECONDS);
            return out + (changes.isEmpty() ? "" : " + uncommitted changes in modules/");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
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

    static void step(String what, long t0) {
        System.out.printf("[%7.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
        System.out.flush();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
