package dev.codexledger.node;

import dev.codexledger.build.Version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.codexledger.localcassandra.CassandraPorts;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.Records;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /metrics} on the management port: known traffic moves the counters by exactly that traffic
 * (records accepted, duplicates, refusals by reason, budget decisions by outcome, jobs, requests by route and
 * status), and the JVM's, the Cassandra driver's and sharding's series are there.
 */
@ExtendWith(SharedCassandra.class)
class MetricsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static int managementPort;

    @BeforeAll
    static void start() throws Exception {
        managementPort = CassandraPorts.freePort();
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("metrics"),
                Map.of("pekko.management.http.port", managementPort, "ledger.analytics.coalesce", "0s"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    /** One scrape: every sample as name → its label sets and values. */
    record Scrape(String text, List<Sample> samples) {
        double sum(String name, Map<String, String> labels) {
            return samples.stream().filter(s -> s.name().equals(name)
                            && s.labels().entrySet().containsAll(labels.entrySet()))
                    .mapToDouble(Sample::value).sum();
        }

        boolean has(String name) {
            return samples.stream().anyMatch(s -> s.name().equals(name));
        }
    }

    record Sample(String name, Map<String, String> labels, double value) {}

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static Scrape scrape() throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                "Prometheus text format: " + response.headers().firstValue("Content-Type"));
        List<Sample> samples = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher matcher = LINE.matcher(line);
            assertTrue(matcher.matches(), "a sample line: " + line);
            Map<String, String> labels = new TreeMap<>();
            if (matcher.group(2) != null) {
                Matcher label = LABEL.matcher(matcher.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.add(new Sample(matcher.group(1), labels, Double.parseDouble(matcher.group(3))));
        }
        return new Scrape(response.body(), samples);
    }

    private static double delta(Scrape before, Scrape after, String name, Map<String, String> labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }

    @Test
    void theCommandLineReportsStatusAndVersion() {
        String api = "http://127.0.0.1:" + node.httpAddress().getPort();
        String management = "http://127.0.0.1:" + managementPort;
        dev.codexledger.cli.LedgerCliTest.Run status = dev.codexledger.cli.LedgerCliTest.run("status", "--url", api,
                "--management", management);
        assertEquals(0, status.exit(), status.out() + status.err());
        assertTrue(status.out().contains("ready:     yes"), status.out());
        assertTrue(status.out().matches("(?s).*members:   pekko://codex-ledger@[0-9.]+:[0-9]+ Up.*"), status.out());
        assertTrue(status.out().contains("codex-ledger " + Version.current()), status.out());
        dev.codexledger.cli.LedgerCliTest.Run json = dev.codexledger.cli.LedgerCliTest.run("status", "--json",
                "--url", api, "--management", management);
        assertEquals(0, json.exit());
        assertTrue(json.out().contains("\"ready\":true"), json.out());
        dev.codexledger.cli.LedgerCliTest.Run version = dev.codexledger.cli.LedgerCliTest.run("version", "--url", api);
        assertTrue(version.out().contains("node:   codex-ledger " + Version.current() + " (app-version "), version.out());
    }

    @Test
    void knownTrafficMovesTheCountersByExactlyThat() throws Exception {
        String workspace = "metrics-ws";
        Instant now = Instant.now();
        String five = Records.ndjson(java.util.stream.IntStream.range(0, 5)
                .mapToObj(i -> Records.record("m-" + i, "u-1", now, "prompt " + i)).toArray(String[]::new));
        // warm the route so its series exist, then count from here
        assertEquals(200, admin.post("/v1/workspaces/" + workspace + "/records", "application/x-ndjson",
                Records.ndjson(Records.record("warm", "u-1", now, "warm"))).status());
        assertEquals(200, admin.send("PUT", "/v1/admin/workspaces/" + workspace + "/budgets/org",
                Map.of("Content-Type", "application/json"), "{\"window\":\"month\",\"cap\":1}".getBytes()).status());

        Scrape before = scrape();

        // records: 5 new, the same 5 again, one invalid batch, one of an unsupported type
        assertEquals(5, admin.post("/v1/workspaces/" + workspace + "/records", "application/x-ndjson", five)
                .body().path("accepted").asInt());
        assertEquals(5, admin.post("/v1/workspaces/" + workspace + "/records", "application/x-ndjson", five)
                .body().path("duplicates").asInt());
        assertEquals(400, admin.post("/v1/workspaces/" + workspace + "/records", "application/x-ndjson",
                "{\"event_type\":\"CODEX_LOG\"}\n").status());
        assertEquals(415, admin.post("/v1/workspaces/" + workspace + "/records", "text/plain", "hello").status());

        // budgets: cap 1 credit; two reservations of 0.4 held, a third of 0.4 denied, one settled, one check
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            LedgerClient.Reply reply = admin.post("/v1/budget/workspaces/" + workspace + "/reservations",
                    "application/json", "{\"user\":\"u-1\",\"estimate_credits\":0.4}");
            if (reply.status() == 201) {
                held.add(reply.body().get("reservation_id").asText());
            } else {
                assertEquals(200, reply.status(), reply.raw().body());
            }
        }
        assertEquals(2, held.size(), "two of three held under a cap of 1");
        assertEquals(200, admin.post("/v1/budget/workspaces/" + workspace + "/reservations/" + held.get(0) + "/settle",
                "application/json", "{\"actual_credits\":0.1}").status());
        assertEquals(200, admin.post("/v1/budget/workspaces/" + workspace + "/check", "application/json",
                "{\"user\":\"u-1\",\"estimate_credits\":0.1}").status());

        // a log verification job, run to its end
        LedgerClient.Reply started = admin.post("/v1/workspaces/" + workspace + "/log/verifications", "application/json", "");
        assertEquals(202, started.status(), started.raw().body());
        String job = started.body().get("id").asText();
        Eventually.until(Duration.ofMinutes(1), () -> admin.get("/v1/workspaces/" + workspace + "/log/verifications/" + job)
                .body().path("state").asText(), state -> !state.equals("running"));

        Scrape after = Eventually.until(Duration.ofSeconds(10), MetricsIT::scrape,
                s -> s.sum("ledger_jobs_finished_total", Map.of("kind", "log_verification")) > 0);

        // kept for reading (and for the Grafana dashboard's and alert rules' names, checked in DeployManifestsTest)
        java.nio.file.Files.writeString(SharedCassandra.testDataDir().resolve("metrics-sample.txt"), after.text());
        Map<String, String> records = Map.of("source", "records");
        assertEquals(5, delta(before, after, "ledger_records_accepted_total", records));
        assertEquals(5, delta(before, after, "ledger_records_duplicates_total", records));
        assertEquals(1, delta(before, after, "ledger_ingest_refused_total", Map.of("source", "records", "reason", "invalid")));
        assertEquals(1, delta(before, after, "ledger_ingest_refused_total",
                Map.of("source", "records", "reason", "unsupported_media_type")));
        assertEquals(2, delta(before, after, "ledger_ingest_refused_total", records), "no other refusal");

        String route = "/v1/workspaces/{workspace}/records";
        assertEquals(2, delta(before, after, "ledger_http_server_requests_seconds_count",
                Map.of("method", "POST", "route", route, "status", "200")));
        assertEquals(1, delta(before, after, "ledger_http_server_requests_seconds_count",
                Map.of("method", "POST", "route", route, "status", "400")));
        assertTrue(after.has("ledger_http_server_requests_seconds_bucket"), "latency histogram buckets");
        assertTrue(after.text().lines().noneMatch(l -> l.contains("metrics-ws")), "no workspace id in any label");

        Map<String, String> reserve = Map.of("kind", "reserve");
        assertEquals(2, delta(before, after, "ledger_budget_decisions_seconds_count", Map.of("kind", "reserve", "outcome", "reserved")));
        assertEquals(1, delta(before, after, "ledger_budget_decisions_seconds_count", Map.of("kind", "reserve", "outcome", "denied")));
        assertEquals(3, delta(before, after, "ledger_budget_decisions_seconds_count", reserve));
        assertEquals(1, delta(before, after, "ledger_budget_decisions_seconds_count", Map.of("kind", "settle", "outcome", "done")));
        assertEquals(1, delta(before, after, "ledger_budget_decisions_seconds_count", Map.of("kind", "check", "outcome", "allowed")));
        assertEquals(0, delta(before, after, "ledger_budget_decisions_seconds_count", Map.of("outcome", "fail_closed")));

        assertEquals(1, delta(before, after, "ledger_jobs_started_total", Map.of("kind", "log_verification")));
        assertEquals(1, delta(before, after, "ledger_jobs_finished_total", Map.of("kind", "log_verification", "outcome", "valid")));
        assertEquals(0, after.sum("ledger_jobs_running", Map.of("kind", "log_verification")));

        // the JVM, the Cassandra driver, memory and analytics lag
        assertTrue(after.sum("jvm_memory_used_bytes", Map.of("area", "heap")) > 0);
        assertTrue(after.has("jvm_gc_pause_seconds_count") || after.has("jvm_gc_memory_allocated_bytes_total"));
        assertTrue(after.sum("cassandra_session_cql_requests_seconds_count", Map.of()) > 0, "driver requests counted");
        assertTrue(after.has("cassandra_nodes_pool_open_connections"), "driver pool per node");
        assertTrue(after.sum("ledger_workspace_active_ledgers", Map.of()) >= 1);
        assertTrue(after.has("ledger_analytics_lag_records"));
        Eventually.assertThat(Duration.ofSeconds(30), () -> assertEquals(0, scrape().sum("ledger_analytics_lag_records", Map.of()),
                "analytics caught up"));

        // sharding, polled every 10 s: this node hosts the workspace's ledger and budget; and a collection,
        // whose pause the GC metrics record (a short test may see none of its own)
        System.gc();
        Scrape last = Eventually.until(Duration.ofSeconds(30), Duration.ofSeconds(1), MetricsIT::scrape, now2 ->
                now2.has("jvm_gc_pause_seconds_sum")
                        && now2.sum("ledger_sharding_entities", Map.of("entity_type", "WorkspaceLedger")) >= 1
                        && now2.sum("ledger_sharding_entities", Map.of("entity_type", "WorkspaceBudget")) >= 1
                        && now2.sum("ledger_sharding_shards_started_total", Map.of("entity_type", "WorkspaceLedger")) >= 1);
        assertEquals(1, last.sum("ledger_cluster_members_up", Map.of()));
        assertEquals(0, last.sum("ledger_cluster_members_unreachable", Map.of()));

        // every series the alert rules and the Grafana dashboard use is one a node serves
        java.util.Set<String> served = new java.util.TreeSet<>();
        last.samples().forEach(sample -> served.add(sample.name()));
        served.add("up"); // Prometheus' own, per scrape
        // counters that appear with their first event: a 429/503 answer, a record refused inside a request
        served.addAll(List.of("ledger_backpressure_total", "ledger_records_rejected_total"));
        java.nio.file.Path deploy = SharedCassandra.repoRoot().resolve("deploy");
        for (java.nio.file.Path file : List.of(deploy.resolve("prometheus/codex-ledger-rules.yml"),
                deploy.resolve("grafana/codex-ledger-dashboard.json"))) {
            Matcher name = Pattern.compile("\\b((?:ledger|cassandra|jvm|process|system)_[a-z0-9_]+|up)\\{")
                    .matcher(java.nio.file.Files.readString(file));
            java.util.Set<String> used = new java.util.TreeSet<>();
            while (name.find()) {
                used.add(name.group(1));
            }
            assertTrue(used.size() > 5, "found the series " + file + " uses: " + used);
            used.removeAll(served);
            assertEquals(java.util.Set.of(), used, file + " uses series no node serves");
        }
    }
}
