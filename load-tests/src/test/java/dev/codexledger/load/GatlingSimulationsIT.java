package dev.codexledger.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.localcassandra.LocalCassandra;
import dev.codexledger.node.LedgerNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Gatling simulations of load-tests/gatling, run for a few seconds each by the same code as
 * {@code load-tests/run-gatling.sh}, against a real node on a real local Cassandra: every batch Gatling
 * saw accepted is stored (each workspace's log has exactly the records of the OK answers), the budget's
 * accounting is exact, the reports are read and the RESULTS.md section is written from them.
 */
class GatlingSimulationsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 12, unit = java.util.concurrent.TimeUnit.MINUTES)
    void simulationsRunAgainstARealNodeAndTheirNumbersAddUp(@TempDir Path temp) throws Exception {
        Path root = Path.of(System.getProperty("ledger.repo-root", "..")).toAbsolutePath().normalize();
        GatlingBenchmark.Settings settings = new GatlingBenchmark.Settings(Set.of("ingest", "budget"),
                Duration.ofSeconds(4), Duration.ofSeconds(2), 2, 50, 2, 100, 200, Duration.ofSeconds(3));
        try (LocalCassandra cassandra = Benchmark.startCassandra(root, "ledger-gatling-it-")) {
            LedgerNode.Running node = Benchmark.startNode(cassandra);
            try {
                String base = "http://127.0.0.1:" + node.httpAddress().getPort();
                GatlingBenchmark.Outcome outcome = GatlingBenchmark.run(root, base, settings);

                assertEquals(4, outcome.reports().size(), "one report per ingest load and one for budgets");
                for (Path report : outcome.reports()) {
                    assertTrue(Files.isRegularFile(report.resolve("index.html")), report + " has an HTML report");
                }
                assertEquals(List.of("JSON records, 2 workspaces", "OTLP protobuf, 2 workspaces",
                        "JSON records, one hot workspace"), outcome.ingest().stream().map(GatlingBenchmark.Stat::name).toList());
                Map<String, List<String>> workspaces = Map.of("json", List.of("json-0", "json-1"),
                        "otlp", List.of("otlp-0", "otlp-1"), "hot", List.of("hot-0"));
                String[] loads = {"json", "otlp", "hot"};
                HttpClient http = HttpClient.newHttpClient();
                for (int i = 0; i < loads.length; i++) {
                    GatlingBenchmark.Stat measured = outcome.ingest().get(i);
                    assertTrue(measured.ok() > 0, measured + " accepted batches");
                    assertEquals(0, measured.ko(), measured + " refused none");
                    Map<String, GatlingBenchmark.Stat> all = GatlingBenchmark.stats(outcome.reports().get(i));
                    long acceptedRecords = (all.get("warm-up").ok() + measured.ok()) * settings.batch();
                    long stored = 0;
                    for (String workspace : workspaces.get(loads[i])) {
                        stored += logSize(http, base, workspace);
                    }
                    assertEquals(acceptedRecords, stored, loads[i] + ": every accepted record stored, once");
                }

                Map<String, GatlingBenchmark.Stat> budget = new java.util.HashMap<>();
                outcome.budget().forEach(s -> budget.put(s.name(), s));
                for (String name : List.of("constant endpoint (before)", "reserve", "settle", "constant endpoint (after)",
                        "constant endpoint (checks)", "check", "forward-auth")) {
                    assertTrue(budget.get(name).ok() > 0, name + " answered");
                    assertEquals(0, budget.get(name).ko(), name + ": no KO (no denial, no 503)");
                }
                assertEquals(budget.get("reserve").ok(), budget.get("settle").ok(), "every held reservation settled");
                assertTrue(outcome.accounting().contains("(exact)") && outcome.accounting().contains("(none left)"),
                        outcome.accounting());

                Path results = temp.resolve("RESULTS.md");
                GatlingBenchmark.write(results, root, settings, outcome);
                String written = Files.readString(results);
                assertTrue(written.contains(GatlingBenchmark.BEGIN) && written.contains(GatlingBenchmark.END), written);
                assertTrue(written.contains("| ledger (Gatling): OTLP protobuf, 2 workspaces |"), written);
                assertTrue(written.contains("| reserve |") && written.contains("reserve ÷ constant endpoint"), written);
            } finally {
                node.stop();
            }
        }
    }

    /** The size of a workspace's log: a checkpoint signed now covers every record stored. */
    private static long logSize(HttpClient http, String base, String workspace) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/workspaces/" + workspace
                        + "/log/checkpoints")).header("Authorization", "Bearer " + Benchmark.KEY)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, answer.statusCode(), workspace + ": " + answer.body());
        return JSON.readTree(answer.body()).path("size").asLong();
    }
}
