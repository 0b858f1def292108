package dev.codexledger.load;

import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Search cost (issue 5): one workspace holds 10,000 Codex-sized records whose timestamps fall in one
 * hour; a single client pages queries over that hour, first on an idle node, then while 4 closed-model
 * writers ingest JSON batches into other workspaces. Writes p50/p95/p99 into load-tests/RESULTS.md.
 */
public final class SearchBenchmark {

    private static final String KEY = Benchmark.KEY;
    static final String BEGIN = "<!-- search-run:begin (written by load-tests/run-search.sh) -->";
    static final String END = "<!-- search-run:end -->";

    private SearchBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        int queries = Integer.getInteger("queries", 200);
        Map<String, double[]> idle;
        Map<String, double[]> busy;
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-search-benchmark-")) {
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                String base = "http://127.0.0.1:" + node.httpAddress().getPort();
                HttpClient http = HttpClient.newHttpClient();
                System.out.println("loading 10,000 records into workspace inv");
                for (int b = 0; b < 20; b++) {
                    StringBuilder body = new StringBuilder("[");
                    for (int i = 0; i < 500; i++) {
                        long n = b * 500L + i;
                        body.append(i == 0 ? "" : ",").append(CodexLikeRecords.json("inv-" + n, (int) (n % 200), n));
                    }
                    send(http, HttpRequest.newBuilder(URI.create(base + "/v1/workspaces/inv/records"))
                            .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString())).build());
                }
                Map<String, String> kinds = kinds();
                for (String query : kinds.values()) { // warm-up
                    for (int i = 0; i < 20; i++) {
                        get(http, base, query);
                    }
                }
                idle = measure(http, base, kinds, queries);
                HttpLoad load = new HttpLoad(base, KEY);
                Measurement max = load.run("ingest at full speed", Duration.ofSeconds(20), 4, SearchBenchmark::jsonBody);
                double halfRequests = max.eventsPerSecond() / 2 / 500;
                System.out.printf("ingest maximum %.0f events/s; now %.1f requests/s (half) during the queries%n",
                        max.eventsPerSecond(), halfRequests);
                java.util.concurrent.atomic.AtomicBoolean measuring = new java.util.concurrent.atomic.AtomicBoolean(true);
                CompletableFuture<Measurement> ingest = CompletableFuture.supplyAsync(() -> {
                    try {
                        return load.run("background ingest", Duration.ofSeconds(Long.getLong("busy.seconds", 240)), 4,
                                (w, n) -> jsonBody(w, n + 1_000_000L), halfRequests);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(3000);
                busy = measure(http, base, kinds, queries);
                measuring.set(false);
                if (ingest.isDone()) {
                    throw new IllegalStateException("the background ingest ended before the queries: raise busy.seconds");
                }
                Measurement background = ingest.join();
                System.out.printf("background ingest: %.0f events/s%n", background.eventsPerSecond());
                write(root.resolve("load-tests/RESULTS.md"), kinds, idle, busy, background, max, queries);
            } finally {
                node.stop();
            }
        }
        System.exit(0);
    }

    /** The queries measured, each over the hour that holds the 10,000 records. */
    private static Map<String, String> kinds() {
        Instant from = Instant.ofEpochSecond(1_795_300_000L - 600);
        String range = "from=" + from + "&to=" + from.plusSeconds(3600);
        Map<String, String> kinds = new LinkedHashMap<>();
        kinds.put("first page, 100 records", range + "&limit=100");
        kinds.put("first page, 1000 records", range + "&limit=1000");
        kinds.put("one user (50 of 10,000 match: scans the hour)", range + "&user=user-7&limit=100");
        kinds.put("words in tool output + user (scans the hour)", range + "&user=user-7&q=pom.xml%20README&limit=100");
        kinds.put("conversation id (40 match)", range + "&conversation_id=conv-100&limit=100");
        return kinds;
    }

    private static Map<String, double[]> measure(HttpClient http, String base, Map<String, String> kinds, int n)
            throws Exception {
        Map<String, double[]> result = new LinkedHashMap<>();
        for (Map.Entry<String, String> kind : kinds.entrySet()) {
            double[] millis = new double[n];
            for (int i = 0; i < n; i++) {
                long start = System.nanoTime();
                get(http, base, kind.getValue());
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            Arrays.sort(millis);
            result.put(kind.getKey(), millis);
            System.out.printf("%-50s p50 %6.1f ms  p95 %6.1f ms  p99 %6.1f ms%n", kind.getKey(), pct(millis, 50),
                    pct(millis, 95), pct(millis, 99));
        }
        return result;
    }

    private static void get(HttpClient http, String base, String query) throws IOException, InterruptedException {
        send(http, HttpRequest.newBuilder(URI.create(base + "/v1/workspaces/inv/records?" + query))
                .header("Authorization", "Bearer " + KEY).GET().build());
    }

    private static void send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(request.uri() + " → " + response.statusCode() + " " + response.body());
        }
    }

    /** Request n of worker w: 500 Codex-sized JSON records into one of 20 workspaces bg-*. */
    static HttpLoad.Body jsonBody(int worker, long n) {
        StringBuilder body = new StringBuilder(500 * 900).append('[');
        long first = (worker * 1_000_000L + n) * 500;
        for (int i = 0; i < 500; i++) {
            body.append(i == 0 ? "" : ",").append(CodexLikeRecords.json("bg-" + (first + i), (int) ((first + i) % 200),
                    first + i));
        }
        String workspace = "bg-" + ((worker + n) % 20);
        return new HttpLoad.Body("/v1/workspaces/" + workspace + "/records",
                body.append(']').toString().getBytes(StandardCharsets.UTF_8), "application/json", workspace, 500);
    }

    static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static void write(Path file, Map<String, String> kinds, Map<String, double[]> idle,
                              Map<String, double[]> busy, Measurement background, Measurement max, int n)
            throws IOException {
        StringBuilder section = new StringBuilder(BEGIN).append("\n\n");
        section.append("Run at ").append(Instant.now()).append(" on the same machine: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, OpenJDK ")
                .append(System.getProperty("java.version")).append(", " + Benchmark.cassandraName + " local. ")
                .append(n).append(" sequential queries per kind; busy: while 4 writers ingest 500-record JSON batches")
                .append(" into 20 other workspaces at half the node's maximum ingest rate (maximum measured first: ")
                .append(String.format("%.0f", max.eventsPerSecond())).append(" events/s; during the queries: ")
                .append(String.format("%.0f", background.eventsPerSecond()))
                .append(" events/s over the whole background phase).\n\n");
        section.append("| query over the hour holding 10,000 records | idle p50 | idle p95 | busy p50 | busy p95 | busy p99 |\n");
        section.append("|---|---:|---:|---:|---:|---:|\n");
        for (String kind : kinds.keySet()) {
            double[] i = idle.get(kind);
            double[] b = busy.get(kind);
            section.append(String.format("| %s | %.1f ms | %.1f ms | %.1f ms | **%.1f ms** | %.1f ms |%n", kind,
                    pct(i, 50), pct(i, 95), pct(b, 50), pct(b, 95), pct(b, 99)));
        }
        section.append("\n").append(END);
        Results.replaceSection(file, BEGIN, END, "\n## Search (issue 5)\n\n`load-tests/run-search.sh`\n\n", section);
    }
}
