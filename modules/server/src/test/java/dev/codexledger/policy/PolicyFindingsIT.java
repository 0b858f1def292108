package dev.codexledger.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Findings from real Codex telemetry (the CLI 0.169.0 captures) on a real node: each session start is
 * judged by the policy in force when it was accepted, each broken requirement is one finding per
 * conversation and rule, a replayed export or a range judged again stores none twice, and a session that
 * does not say its settings is reported unknown.
 */
@ExtendWith(SharedCassandra.class)
class PolicyFindingsIT {

    private static final Duration WITHIN = Duration.ofSeconds(30);
    private static String keyspace;
    private static LedgerNode.Running node;
    private static LedgerClient admin;

    /** The alert webhook's receiver: every body it got, with a valid signature, by workspace. */
    private static final List<JsonNode> POSTED = java.util.Collections.synchronizedList(new ArrayList<>());
    private static final String SECRET = "findings-webhook-secret";
    private static com.sun.net.httpserver.HttpServer receiver;

    @BeforeAll
    static void start() throws Exception {
        receiver = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/alerts", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String signature = exchange.getRequestHeaders().getFirst("X-Ledger-Signature");
            String expected = "sha256=" + new dev.codexledger.http.SignedWebhook(java.net.URI.create("http://unused"),
                    SECRET, Duration.ofSeconds(1), Duration.ofSeconds(1)).sign(new String(body, StandardCharsets.UTF_8));
            if (expected.equals(signature)) {
                POSTED.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(body));
            }
            exchange.sendResponseHeaders(expected.equals(signature) ? 204 : 400, -1);
            exchange.close();
        });
        receiver.start();
        keyspace = TestNodes.newKeyspace("findings");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace, webhook(Map.of()));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    private static Map<String, Object> webhook(Map<String, Object> more) {
        Map<String, Object> settings = new java.util.HashMap<>(more);
        settings.put("ledger.budget.alerts.webhook-url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/alerts");
        settings.put("ledger.budget.alerts.webhook-secret", SECRET);
        settings.put("ledger.policy.findings-to-webhook", true);
        settings.put("ledger.compliance.file-window", "2s"); // compliance log files close within seconds
        settings.put("ledger.compliance.settle", "500ms");
        return settings;
    }

    private static List<JsonNode> posted(String workspace) {
        synchronized (POSTED) {
            return POSTED.stream().filter(p -> workspace.equals(p.path("workspace").asText())).toList();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    private static void policy(String workspace, String document) {
        LedgerClient.Reply reply = admin.send("PUT", "/v1/admin/workspaces/" + workspace + "/policy",
                Map.of("Content-Type", "application/json"), document.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, reply.status(), reply.raw().body());
    }

    private static void export(String workspace, String fixture) throws Exception {
        byte[] capture;
        try (InputStream in = PolicyFindingsIT.class.getResourceAsStream("/codex-otel/" + fixture)) {
            capture = in.readAllBytes();
        }
        LedgerClient.Reply sent = admin.send("POST", "/v1/logs", Map.of("Content-Type", "application/json",
                "X-Ledger-Workspace", workspace), capture);
        assertEquals(200, sent.status(), sent.raw().body());
    }

    private static List<JsonNode> findings(String workspace) {
        List<JsonNode> findings = new ArrayList<>();
        admin.get("/v1/workspaces/" + workspace + "/records?event_type=CODEX_SECURITY_LOG&limit=1000").body()
                .get("records").forEach(record -> {
                    if (PolicyJudge.FINDING.equals(record.path("action").asText())) {
                        findings.add(record);
                    }
                });
        return findings;
    }

    private static List<JsonNode> findingsAfterQuiet(String workspace, int expected) throws InterruptedException {
        List<JsonNode> found = Eventually.until(WITHIN, () -> findings(workspace), f -> f.size() >= expected);
        Thread.sleep(1500); // nothing more comes
        return findings(workspace);
    }

    private static String scrape(int port) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A sample's value (0 when the series is not there), its labels as Prometheus writes them, in order. */
    private static double sample(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /**
     * The day the workspace's sessions started (the captures' day, read from their records), as
     * policy_compliance reports it over that day and the days around it.
     */
    private static JsonNode sessionDay(String workspace) {
        String timestamp = admin.get("/v1/workspaces/" + workspace + "/records?event_type=CODEX_SECURITY_LOG&limit=1000")
                .body().get("records").findValues("timestamp").get(0).asText();
        java.time.LocalDate day = java.time.LocalDate.ofInstant(Instant.parse(timestamp), java.time.ZoneOffset.UTC);
        long start = day.minusDays(3).atStartOfDay(java.time.ZoneOffset.UTC).toEpochSecond();
        JsonNode days = admin.get("/v1/analytics/codex/workspaces/" + workspace + "/policy_compliance?start_time="
                + start + "&end_time=" + (start + 7 * 86_400)).body().get("data");
        assertEquals(7, days.size(), "every day of the period has a row");
        List<JsonNode> active = new ArrayList<>();
        days.forEach(d -> {
            if (d.get("sessions").asLong() > 0) {
                active.add(d);
            } else {
                assertTrue(d.get("share_compliant").isNull(), "a day without sessions has no share: " + d);
            }
        });
        assertEquals(1, active.size(), days.toString());
        assertEquals(day.toString(), active.get(0).get("date").asText());
        return active.get(0);
    }

    static final String STRICT = """
            {"requirement_sets": {"strict": {"allowed_approval_policies": ["untrusted", "on-request"],
                                             "allowed_sandbox_modes": ["read-only"]}},
             "rules": [{"group": "*", "requirements": "strict"}]}""";

    @Test
    void aPolicyThatAllowsTheSessionsFindsNothing() throws Exception {
        policy("findings-allow", """
                {"requirement_sets": {"all": {"allowed_approval_policies": ["never", "on-request"],
                   "allowed_sandbox_modes": ["read-only"], "mcp_servers": {"codex_apps": {"command": "codex"}}}},
                 "rules": [{"group": "*", "requirements": "all"}]}""");
        export("findings-allow", "json-003.json");
        export("findings-allow", "optin-004.json");
        Eventually.until(WITHIN, () -> admin.get("/v1/workspaces/findings-allow/records?limit=1000").body()
                .get("records").size(), n -> n > 0);
        Thread.sleep(3000);
        assertEquals(List.of(), findings("findings-allow"));
        JsonNode day = sessionDay("findings-allow");
        assertEquals(2, day.get("compliant").asLong(), day.toString());
        assertEquals(1.0, day.get("share_compliant").asDouble(), day.toString());
    }

    @Test
    void eachBrokenRuleIsOneFindingPerConversationJudgedByThePolicyOfItsTime() throws Exception {
        String ws = "findings-a";
        policy(ws, STRICT);
        export(ws, "json-003.json");
        List<JsonNode> first = findingsAfterQuiet(ws, 1);
        assertEquals(1, first.size(), first.toString());
        JsonNode finding = first.get(0);
        assertEquals("01a2012a-d5e9-7730-a4d6-19fae2c24218", finding.get("conversation_id").asText());
        JsonNode attributes = finding.get("attributes");
        assertEquals("violation", attributes.get("verdict").asText());
        assertEquals("allowed_approval_policies", attributes.get("rule").asText());
        assertEquals("never", attributes.get("actual").asText());
        assertEquals("one of untrusted, on-request", attributes.get("expected").asText());
        assertEquals("strict", attributes.get("requirement_set").asText());
        assertEquals(1, attributes.get("policy_version").asLong());
        assertEquals("0.169.0", attributes.get("app_version").asText());

        export(ws, "json-003.json"); // the same export again
        assertEquals(1, findingsAfterQuiet(ws, 1).size(), "a replay finds nothing new");

        // the policy changes: never is allowed now, MCP servers only from the list
        policy(ws, """
                {"requirement_sets": {"v2": {"allowed_approval_policies": ["never"], "allowed_sandbox_modes": ["read-only"],
                   "mcp_servers": {"docs": {"command": "codex-mcp"}}}},
                 "rules": [{"group": "*", "requirements": "v2"}]}""");
        export(ws, "optin-004.json");
        List<JsonNode> both = findingsAfterQuiet(ws, 2);
        assertEquals(2, both.size(), both.toString());
        JsonNode second = both.stream().filter(f -> f.get("conversation_id").asText().startsWith("01a2012a-f0ab"))
                .findFirst().orElseThrow();
        assertEquals("mcp_servers.codex_apps", second.get("attributes").get("rule").asText());
        assertEquals(2, second.get("attributes").get("policy_version").asLong());
        assertEquals("acct-harness-0001", second.get("user").get("id").asText());
        assertEquals(1, both.stream().filter(f -> f.get("attributes").get("policy_version").asLong() == 1).count(),
                "the first session stays judged by the policy of its time");

        // the judge's progress goes back to 0 and the node restarts: everything is read back from the records
        // table and judged again, and nothing is stored twice
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            node.stop();
            session.execute("UPDATE " + keyspace + ".policy_progress SET through_seq = 0 WHERE workspace = '" + ws + "'");
            int managementPort = dev.codexledger.localcassandra.CassandraPorts.freePort();
            node = TestNodes.start(SharedCassandra.contactPoint(), keyspace,
                    webhook(Map.of("pekko.management.http.port", managementPort)));
            admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
            LedgerClient.Reply more = admin.post("/v1/workspaces/" + ws + "/records", "application/json",
                    dev.codexledger.testing.Records.array(dev.codexledger.testing.Records.record("after-restart", "u",
                            Instant.now(), "x")));
            assertEquals(200, more.status(), more.raw().body());
            long last = more.body().path("last_seq").asLong(-1);
            assertTrue(last > 1, more.raw().body());
            long judged = Eventually.until(WITHIN, () -> session.execute("SELECT through_seq FROM " + keyspace
                    + ".policy_progress WHERE workspace = '" + ws + "'").one().getLong("through_seq"), seq -> seq == last);
            assertEquals(last, judged, "judged through the workspace's last record");
            // this node saw neither session arrive: it judged both from the read-back, and stored nothing new
            Eventually.assertThat(WITHIN, () -> {
                String metrics = scrape(managementPort);
                assertEquals(2.0, sample(metrics, "ledger_policy_sessions_judged_total{verdict=\"violation\"}"), metrics);
                assertEquals(2.0, sample(metrics, "ledger_policy_findings_total{result=\"already\"}"), metrics);
                assertEquals(0.0, sample(metrics, "ledger_policy_findings_total{result=\"found-before\"}"), metrics);
                assertEquals(0.0, sample(metrics, "ledger_policy_findings_total{result=\"stored\"}"), metrics);
            });
        }
        assertEquals(2, findings(ws).size(), "read back, judged again, stored once");
        List<JsonNode> alerts = posted(ws);
        assertEquals(2, alerts.size(), "each new finding went to the webhook once, signed: " + alerts);
        assertEquals(java.util.Set.of("allowed_approval_policies", "mcp_servers.codex_apps"),
                java.util.Set.of(alerts.get(0).get("rule").asText(), alerts.get(1).get("rule").asText()));
        assertEquals(PolicyJudge.FINDING, alerts.get(0).get("type").asText());

        // the compliance analytics, by the day the sessions started (the captures' day): two, neither compliant
        JsonNode last = sessionDay(ws);
        assertEquals(2, last.get("sessions").asLong(), last.toString());
        assertEquals(2, last.get("violation").asLong(), last.toString());
        assertEquals(0.0, last.get("share_compliant").asDouble(), last.toString());
        assertEquals("*", last.get("by_policy_group").get(0).get("policy_group").asText());
    }

    @Test
    void aForbiddenCommandThatRanIsAFindingOnce() throws Exception {
        String ws = "findings-tools";
        policy(ws, """
                {"requirement_sets": {"s": {"allowed_approval_policies": ["never"], "allowed_sandbox_modes": ["read-only"],
                   "prefix_rules": [{"pattern": ["echo"], "decision": "forbidden", "justification": "no echo"}]}},
                 "rules": [{"group": "*", "requirements": "s"}]}""");
        export(ws, "json-003.json");
        List<JsonNode> found = findingsAfterQuiet(ws, 1);
        assertEquals(1, found.size(), found.toString());
        JsonNode attributes = found.get(0).get("attributes");
        assertEquals("prefix_rules:echo", attributes.get("rule").asText());
        assertEquals("echo hi", attributes.get("actual").asText());
        assertEquals("exec_command", attributes.get("tool_name").asText());
        assertEquals("call_resp_mock_002", attributes.get("call_id").asText());
        assertEquals("01a2012a-d5e9-7730-a4d6-19fae2c24218", found.get(0).get("conversation_id").asText());
        JsonNode day = sessionDay(ws);
        assertEquals(1, day.get("compliant").asLong(), "the session's own settings were allowed: " + day);
    }

    @Test
    void findingsAreInTheComplianceLogFiles() throws Exception {
        String ws = "findings-files";
        policy(ws, STRICT);
        export(ws, "json-003.json");
        String id = findingsAfterQuiet(ws, 1).get(0).get("event_id").asText();
        List<String> inFiles = Eventually.until(WITHIN, Duration.ofMillis(300), () -> {
            List<String> ids = new ArrayList<>();
            JsonNode files = admin.get("/v1/compliance/workspaces/" + ws + "/logs?event_type=CODEX_SECURITY_LOG&limit=100")
                    .body().get("data");
            for (JsonNode file : files) {
                String lines = admin.get("/v1/compliance/workspaces/" + ws + "/logs/" + file.get("id").asText()).raw().body();
                for (String line : lines.split("\n")) {
                    if (!line.isBlank()) {
                        ids.add(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("event_id").asText());
                    }
                }
            }
            return ids;
        }, ids -> ids.contains(id));
        assertEquals(1, inFiles.stream().filter(id::equals).count(), "the finding, once, in the files: " + inFiles);
    }

    @Test
    void aSessionThatDoesNotSayItsSettingsIsUnknownNotCompliant() throws Exception {
        String ws = "findings-unknown";
        policy(ws, STRICT);
        String start = "{\"event_id\":\"start-1\",\"event_type\":\"CODEX_SECURITY_LOG\",\"timestamp\":\"" + Instant.now()
                + "\",\"user\":{\"id\":\"dee\"},\"conversation_id\":\"c-unknown\",\"action\":\"codex.conversation_starts\"}";
        assertEquals(200, admin.post("/v1/workspaces/" + ws + "/records", "application/json", "[" + start + "]").status());
        List<JsonNode> found = findingsAfterQuiet(ws, 2);
        assertEquals(2, found.size(), found.toString());
        for (JsonNode finding : found) {
            assertEquals("unknown", finding.get("attributes").get("verdict").asText());
            assertEquals("dee", finding.get("user").get("id").asText());
        }
        assertEquals(java.util.Set.of("allowed_approval_policies", "allowed_sandbox_modes"),
                java.util.Set.of(found.get(0).get("attributes").get("rule").asText(),
                        found.get(1).get("attributes").get("rule").asText()));
    }
}
