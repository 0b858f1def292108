package dev.codexledger.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.localkafka.LocalKafka;
import dev.codexledger.node.LedgerNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Streaming to Kafka (issue 19), one run on one machine: a local Cassandra, a real Kafka broker (KRaft, its
 * own JVM) and a node. Measured in order: ingest at full speed without any stream (the baseline); the same
 * with a Kafka destination taking every record (the cost of streaming on ingest, as a ratio); how fast the
 * backlog that left is delivered; then ingest at half the baseline while a consumer (read_committed)
 * reads every record back: records/s delivered, and the delay from the ledger accepting each record to the
 * consumer having it, p50/p99.
 */
public final class StreamBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BEGIN = "<!-- streams-run:begin (written by load-tests/run-streams.sh) -->";
    static final String END = "<!-- streams-run:end -->";
    private static final String TOPIC = "codex-audit";

    private StreamBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int seconds = Integer.getInteger("phase.seconds", 30);
        Path kafkaDir = Files.createTempDirectory("ledger-stream-benchmark-kafka-");
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-stream-benchmark-");
             LocalKafka kafka = LocalKafka.startNew(root.resolve("modules/kafka-runtime/target/lib"), kafkaDir)) {
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                String base = "http://127.0.0.1:" + node.httpAddress().getPort();
                HttpClient http = HttpClient.newHttpClient();
                HttpLoad load = new HttpLoad(base, Benchmark.KEY);
                load.run("warm-up", Duration.ofSeconds(10), 4, (w, n) -> SearchBenchmark.jsonBody(w, n + 9_000_000L));
                Measurement plain = Benchmark.log(load.run("ingest, no stream", Duration.ofSeconds(seconds), 4,
                        SearchBenchmark::jsonBody));
                JsonNode created = post(http, base, "/v1/admin/streams", """
                        {"name": "bench", "type": "kafka", "batch_size": 2000,
                         "kafka": {"bootstrap_servers": "%s", "topic": "%s"}}""".formatted(kafka.bootstrapServers(), TOPIC));
                String id = created.get("id").asText();
                Measurement streamed = Benchmark.log(load.run("ingest, every record streamed to Kafka",
                        Duration.ofSeconds(seconds), 4, (w, n) -> SearchBenchmark.jsonBody(w, n + 2_000_000L)));
                long backlog = status(http, base, id).get("lag_records").asLong();
                long drainStart = System.nanoTime();
                while (status(http, base, id).get("lag_records").asLong() > 0) {
                    if (System.nanoTime() - drainStart > Duration.ofMinutes(10).toNanos()) {
                        throw new IllegalStateException("the stream did not catch up within 10 minutes");
                    }
                    Thread.sleep(200);
                }
                double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
                System.out.printf("backlog of %d records delivered in %.1f s%n", backlog, drainSeconds);

                // half the baseline, with a consumer reading every record back
                List<Long> delays = java.util.Collections.synchronizedList(new ArrayList<>());
                AtomicLong consumed = new AtomicLong();
                AtomicBoolean reading = new AtomicBoolean(true);
                long[] window = new long[2];
                CompletableFuture<Void> consumer = CompletableFuture.runAsync(() -> consume(kafka.bootstrapServers(),
                        reading, consumed, delays, window));
                Thread.sleep(3000); // assigned and at the end of the topic
                double halfRequests = plain.eventsPerSecond() / 2 / 500;
                Measurement half = Benchmark.log(load.run("ingest at half the baseline, streamed and consumed",
                        Duration.ofSeconds(seconds), 4, (w, n) -> SearchBenchmark.jsonBody(w, n + 4_000_000L), halfRequests));
                long waitStart = System.nanoTime();
                while (status(http, base, id).get("lag_records").asLong() > 0
                        && System.nanoTime() - waitStart < Duration.ofMinutes(5).toNanos()) {
                    Thread.sleep(200);
                }
                Thread.sleep(2000);
                reading.set(false);
                consumer.join();
                long[] sorted = delays.stream().mapToLong(Long::longValue).sorted().toArray();
                double deliveredPerSecond = consumed.get() / ((window[1] - window[0]) / 1e9);
                System.out.printf("consumed %d records (%.0f/s), delay p50 %.0f ms p99 %.0f ms%n", consumed.get(),
                        deliveredPerSecond, pct(sorted, 50) / 1000.0, pct(sorted, 99) / 1000.0);
                write(root.resolve("load-tests/RESULTS.md"), plain, streamed, backlog, drainSeconds, half,
                        consumed.get(), deliveredPerSecond, sorted);
            } finally {
                node.stop();
            }
        }
        System.exit(0);
    }

    /** Reads every new record of the topic; per record, now minus its ledger-accepted-at header. */
    private static void consume(String servers, AtomicBoolean reading, AtomicLong consumed, List<Long> delays,
                                long[] window) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    long now = java.time.temporal.ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
                    long accepted = Long.parseLong(new String(r.headers().lastHeader("ledger-accepted-at").value(),
                            StandardCharsets.UTF_8));
                    if (consumed.getAndIncrement() == 0) {
                        window[0] = System.nanoTime();
                    }
                    window[1] = System.nanoTime();
                    delays.add(now - accepted);
                }
            }
        }
    }

    private static double pct(long[] sorted, int p) {
        return sorted.length == 0 ? Double.NaN
                : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static JsonNode status(HttpClient http, String base, String id) throws IOException, InterruptedException {
        return JSON.readTree(send(http, HttpRequest.newBuilder(URI.create(base + "/v1/admin/streams/" + id))
                .header("Authorization", "Bearer " + Benchmark.KEY).GET().build(), 200)).get("status");
    }

    private static JsonNode post(HttpClient http, String base, String path, String body) throws IOException, InterruptedException {
        return JSON.readTree(send(http, HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + Benchmark.KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), 201));
    }

    private static String send(HttpClient http, HttpRequest request, int expected) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(request.uri() + " → " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static void write(Path file, Measurement plain, Measurement streamed, long backlog, double drainSeconds,
                              Measurement half, long consumed, double deliveredPerSecond, long[] delays) throws IOException {
        StringBuilder section = new StringBuilder(BEGIN).append("\n\n");
        section.append("Run at ").append(Instant.now()).append(" on the same machine: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, OpenJDK ")
                .append(System.getProperty("java.version")).append(", ").append(Benchmark.cassandraName)
                .append(" local, Kafka 4.1.1 (one KRaft broker, its own JVM, 256 MB heap) and the node on the same")
                .append(" cores. Load: 4 writers, 500-record JSON batches (Codex-sized records) into 20 workspaces;")
                .append(" one org-wide Kafka destination (transactions of up to 2,000 records, LZ4).\n\n");
        section.append("| phase | records/s | ingest p50 | ingest p99 |\n|---|---:|---:|---:|\n");
        for (Measurement m : List.of(plain, streamed, half)) {
            section.append(String.format("| %s | %,.0f | %.0f ms | %.0f ms |%n", m.name(), m.eventsPerSecond(),
                    m.p50Millis(), m.p99Millis()));
        }
        section.append(String.format("%n- **Cost of streaming on ingest**: %.2f× the baseline's records/s at full speed"
                        + " (same run).%n", streamed.eventsPerSecond() / plain.eventsPerSecond()));
        section.append(String.format("- **Backlog left by the full-speed phase**: %,d records, delivered in %.1f s"
                + " (%,.0f records/s: the delivery's capacity while nothing else runs).%n", backlog, drainSeconds,
                drainSeconds > 0 ? backlog / drainSeconds : Double.NaN));
        section.append(String.format("- **Delivered to Kafka while ingest runs at half its maximum**: %,.0f records/s"
                + " consumed back (%,d records; ingest offered %,.0f/s).%n", deliveredPerSecond, consumed,
                half.eventsPerSecond()));
        section.append(String.format("- **Delay from the ledger accepting a record to the consumer having it**"
                + " (read_committed, `ledger-accepted-at` header; the ledger acknowledges only after the journal and the"
                + " rows are written, tens of ms after acceptance, so this is an upper bound of ack → consumed): p50 **%.0f ms**, p99 **%.0f ms**, max %.0f ms.%n%n",
                pct(delays, 50) / 1000.0, pct(delays, 99) / 1000.0, delays.length == 0 ? Double.NaN
                        : delays[delays.length - 1] / 1000.0));
        section.append(END);
        Results.replaceSection(file, BEGIN, END, "\n## Streaming to Kafka (issue 19)\n\n`load-tests/run-streams.sh`\n\n",
                section);
    }
}
