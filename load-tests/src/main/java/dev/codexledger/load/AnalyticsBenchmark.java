package dev.codexledger.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;

/**
 * Analytics freshness and exactness (issue 7). A node ingests Codex-sized JSON batches into 20 workspaces,
 * first at full speed, then at half that rate; meanwhile, once a second, a probe record goes into another
 * workspace and the usage endpoint is polled until it counts it: the lag from the ingest's 200 to the
 * number showing. Also measured: the usage query's latency (30 days, per user) during the load, and, once
 * the load stops, how long until the analytics of the 20 workspaces count exactly every record accepted.
 */
public final class AnalyticsBenchmark {

    private static final String KEY = Benchmark.KEY;
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String BEGIN = "<!-- analytics-run:begin (written by load-tests/run-analytics.sh) -->";
    static final String END = "<!-- analytics-run:end -->";

    private AnalyticsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int probes = Integer.getInteger("probes", 60);
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-analytics-benchmark-")) {
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                String base = "http://127.0.0.1:" + node.httpAddress().getPort();
                HttpClient http = HttpClient.newHttpClient();
                HttpLoad load = new HttpLoad(base, KEY);
                Measurement max = load.run("ingest at full speed", Duration.ofSeconds(20), 4, SearchBenchmark::jsonBody);
                double halfRequests = max.eventsPerSecond() / 2 / 500;
                System.out.printf("ingest maximum %.0f events/s; now %.1f requests/s (half) with probes%n",
                        max.eventsPerSecond(), halfRequests);
                CompletableFuture<Measurement> ingest = CompletableFuture.supplyAsync(() -> {
                    try {
                        return load.run("background ingest", Duration.ofSeconds(probes + 10L), 4,
                                (w, n) -> SearchBenchmark.jsonBody(w, n + 1_000_000L), halfRequests);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(3000);
                LocalDate today = LocalDate.now(ZoneOffset.UTC);
                String todayRange = "start_time=" + today.atStartOfDay(ZoneOffset.UTC).toEpochSecond()
                        + "&end_time=" + today.plusDays(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
                double[] lags = new double[probes];
                double[] queries = new double[probes];
                for (int i = 0; i < probes; i++) {
                    long started = System.nanoTime();
                    String record = "{\"event_id\":\"probe-" + i + "\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\""
                            + Instant.now() + "\",\"user\":{\"id\":\"probe\"},\"conversation_id\":\"probe-" + i
                            + "\",\"prompt\":\"probe " + i + "\"}";
                    send(http, HttpRequest.newBuilder(URI.create(base + "/v1/workspaces/probe/records"))
                            .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(record)).build());
                    long acknowledged = System.nanoTime();
                    while (turns(http, base, "probe", todayRange) < i + 1) {
                        Thread.sleep(50);
                    }
                    lags[i] = (System.nanoTime() - acknowledged) / 1e6;
                    long query = System.nanoTime();
                    get(http, base, "/v1/analytics/codex/workspaces/bg-" + (i % 20) + "/usage?" + LOAD_RANGE
                            + "&group=user&limit=1000");
                    queries[i] = (System.nanoTime() - query) / 1e6;
                    long rest = 1000 - (System.nanoTime() - started) / 1_000_000;
                    if (rest > 0) {
                        Thread.sleep(rest);
                    }
                }
                Measurement background = ingest.join();
                long stopped = System.nanoTime();
                long accepted = max.events() + background.events();
                long counted;
                while ((counted = countedEvents(http, base)) < accepted) {
                    if (System.nanoTime() - stopped > Duration.ofMinutes(5).toNanos()) {
                        throw new IllegalStateException("after 5 minutes the analytics count " + counted + " of "
                                + accepted + " records");
                    }
                    Thread.sleep(100);
                }
                double catchUp = (System.nanoTime() - stopped) / 1e9;
                Thread.sleep(2000);
                long settled = countedEvents(http, base);
                System.out.printf("accepted %d, counted %d (%d two seconds later), caught up %.1f s after the load%n",
                        accepted, counted, settled, catchUp);
                java.util.Arrays.sort(lags);
                java.util.Arrays.sort(queries);
                write(root.resolve("load-tests/RESULTS.md"), max, background, lags, queries, accepted, settled, catchUp);
            } finally {
                node.stop();
            }
        }
        System.exit(0);
    }

    private static long turns(HttpClient http, String base, String workspace, String range) throws Exception {
        JsonNode body = get(http, base, "/v1/analytics/codex/workspaces/" + workspace + "/usage?" + range);
        return body.get("data").get(0).get("turns").asLong();
    }

    /** The load's records carry timestamps from 2026-11-21 on, spread over some 240 days. */
    private static final String LOAD_RANGE = "start_time=1795219200&end_time=" + (1795219200L + 400 * 86400L);

    /** Records counted by the analytics over the 20 load workspaces (every load record is a Codex event). */
    private static long countedEvents(HttpClient http, String base) throws Exception {
        long events = 0;
        for (int w = 0; w < 20; w++) {
            JsonNode usage = get(http, base, "/v1/analytics/codex/workspaces/bg-" + w + "/usage?" + LOAD_RANGE
                    + "&group_by=week&limit=1000");
            for (JsonNode bucket : usage.get("data")) {
                events += bucket.get("events").asLong();
            }
        }
        return events;
    }

    private static JsonNode get(HttpClient http, String base, String path) throws IOException, InterruptedException {
        return JSON.readTree(send(http, HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + KEY).GET().build()));
    }

    private static String send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " → " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static void write(Path file, Measurement max, Measurement background, double[] lags, double[] queries,
                              long accepted, long counted, double catchUp) throws IOException {
        StringBuilder section = new StringBuilder(BEGIN).append("\n\n");
        section.append("Run at ").append(Instant.now()).append(" on the same machine: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, OpenJDK ")
                .append(System.getProperty("java.version")).append(", " + Benchmark.cassandraName + " local. Load: 4 writers, ")
                .append("500-record JSON batches (Codex-sized records, 200 users, a conversation per 40 records) ")
                .append("into 20 workspaces; maximum measured first: ")
                .append(String.format("%.0f", max.eventsPerSecond())).append(" events/s; then half of it (")
                .append(String.format("%.0f", background.eventsPerSecond()))
                .append(" events/s measured) while a probe record per second goes into another workspace.\n\n");
        section.append("| measured during the half-rate load | p50 | p95 | max |\n|---|---:|---:|---:|\n");
        section.append(String.format("| probe's 200 → counted in `usage` (%d probes) | %.0f ms | **%.0f ms** | %.0f ms |%n",
                lags.length, SearchBenchmark.pct(lags, 50), SearchBenchmark.pct(lags, 95), lags[lags.length - 1]));
        section.append(String.format("| `usage?group=user` over 400 days of a load workspace (1,000 rows) | %.1f ms | %.1f ms | %.1f ms |%n",
                SearchBenchmark.pct(queries, 50), SearchBenchmark.pct(queries, 95), queries[queries.length - 1]));
        section.append(String.format("%nExactness: the 20 workspaces accepted %,d records; their analytics count %,d "
                + "(every one, none twice), %.1f s after the load stopped.%n%n", accepted, counted, catchUp));
        section.append(END);
        Results.replaceSection(file, BEGIN, END, "\n## Analytics freshness (issue 7)\n\n`load-tests/run-analytics.sh`\n\n",
                section);
    }
}
