package dev.codexledger.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Budgets over HTTP against real Cassandra: hierarchy, concurrency, spend from Codex telemetry, prices, forward-auth. */
@ExtendWith(SharedCassandra.class)
class BudgetIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static String keyspace;

    private static final String SECRET = "webhook-secret";
    /** Webhook deliveries received: status answered, body, signature header. */
    private static final List<String[]> deliveries = new java.util.concurrent.CopyOnWriteArrayList<>();
    private static com.sun.net.httpserver.HttpServer receiver;

    @BeforeAll
    static void start() throws Exception {
        receiver = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status = calls.incrementAndGet() == 1 ? 500 : 200; // the first delivery fails: retried
            deliveries.add(new String[] {Integer.toString(status), body,
                    exchange.getRequestHeaders().getFirst("X-Ledger-Signature")});
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
        keyspace = TestNodes.newKeyspace("budget");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace,
                Map.of("ledger.budget.alerts.webhook-url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
                        "ledger.budget.alerts.webhook-secret", SECRET,
                        "ledger.budget.alerts.first-backoff", "200ms"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
        receiver.stop(0);
    }

    @Test
    void crossingAThresholdIsARecordAndASignedWebhookRetriedUntilAccepted() throws Exception {
        put("/v1/admin/workspaces/alerts/budgets/org", "{\"window\":\"month\",\"cap\":10,\"thresholds\":[50,100]}");
        spend("alerts", 6);
        String month = java.time.LocalDate.now(java.time.ZoneOffset.UTC).withDayOfMonth(1).toString();
        String alertId = "org@" + month + ":50";
        List<String[]> attempts = awaitDelivered(alertId);
        assertEquals("500", attempts.get(0)[0], "the first attempt failed");
        String[] accepted = attempts.get(attempts.size() - 1);
        assertEquals("200", accepted[0]);
        JsonNode alert = JSON.readTree(accepted[1]);
        assertEquals("budget.threshold_crossed", alert.get("type").asText());
        assertEquals(50, alert.get("threshold_percent").asInt());
        assertEquals("6", alert.get("spent").asText());
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        assertEquals("sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(accepted[1].getBytes(StandardCharsets.UTF_8))),
                accepted[2], "signed with the shared secret");

        spend("alerts", 5);
        JsonNode capAlert = JSON.readTree(awaitDelivered("org@" + month + ":100").get(0)[1]);
        assertEquals("budget.cap_reached", capAlert.get("type").asText());

        JsonNode records = admin.get("/v1/workspaces/alerts/records?event_type=BUDGET_LOG").body().get("records");
        assertEquals(2, records.size(), "one record per alert, however often delivered: " + records);
        assertEquals(alertId, records.get(0).get("attributes").get("alert_id").asText());
        JsonNode status = admin.get("/v1/admin/workspaces/alerts/budgets").body().get("budgets").get(0);
        assertEquals("[50,100]", status.get("thresholds_crossed").toString());
    }

    private static void spend(String workspace, double credits) {
        LedgerClient.Reply reserved = admin.post("/v1/budget/workspaces/" + workspace + "/reservations",
                "application/json", "{\"user\":\"ana\",\"estimate_credits\":0}");
        assertEquals(201, reserved.status(), reserved.raw().body());
        assertEquals(200, admin.post("/v1/budget/workspaces/" + workspace + "/reservations/"
                + reserved.body().get("reservation_id").asText() + "/settle", "application/json",
                "{\"actual_credits\":" + credits + "}").status());
    }

    /** Every delivery of one alert, once one was accepted. */
    private static List<String[]> awaitDelivered(String alertId) {
        try {
            return Eventually.until(Duration.ofSeconds(30),
                    () -> deliveries.stream().filter(d -> d[1].contains("\"" + alertId + "\"")).toList(),
                    mine -> mine.stream().anyMatch(d -> d[0].equals("200")));
        } catch (AssertionError notYet) {
            throw new AssertionError("alert " + alertId + " not delivered: " + deliveries.size() + " deliveries",
                    notYet);
        }
    }

    private static void put(String path, String body) {
        LedgerClient.Reply reply = admin.send("PUT", path, Map.of("Content-Type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, reply.status(), path + " " + reply.raw().body());
    }

    private static JsonNode check(String workspace, String user, double estimate) {
        LedgerClient.Reply reply = admin.post("/v1/budget/workspaces/" + workspace + "/check", "application/json",
                "{\"user\":\"" + user + "\",\"estimate_credits\":" + estimate + "}");
        assertEquals(200, reply.status(), reply.raw().body());
        return reply.body();
    }

    @Test
    void theUserFitsTheTeamDoesNotTheDenialNamesTheTeam() {
        put("/v1/admin/workspaces/acme/budgets/org", "{\"window\":\"month\",\"cap\":100}");
        put("/v1/admin/workspaces/acme/budgets/teams/eng", "{\"window\":\"month\",\"cap\":50}");
        put("/v1/admin/workspaces/acme/budgets/teams/platform", "{\"window\":\"week\",\"cap\":10,\"parent\":\"eng\",\"thresholds\":[80,100]}");
        put("/v1/admin/workspaces/acme/budgets/users/ana", "{\"window\":\"day\",\"cap\":20}");
        put("/v1/admin/workspaces/acme/members/ana", "{\"team\":\"platform\"}");

        JsonNode denied = check("acme", "ana", 15);
        assertFalse(denied.get("allowed").asBoolean(), denied.toString());
        assertEquals("team", denied.get("binding_level").get("level").asText());
        assertEquals("platform", denied.get("binding_level").get("name").asText());
        assertEquals("week", denied.get("binding_level").get("window").asText());
        assertTrue(denied.get("reason").asText().startsWith("team platform has 10 of 10 credits left this week"),
                denied.get("reason").asText());
        assertEquals(4, denied.get("levels").size(), "user, team, department, org: " + denied);

        JsonNode allowed = check("acme", "ana", 5);
        assertTrue(allowed.get("allowed").asBoolean());
        assertEquals(10, allowed.get("binding_level").get("remaining").asInt(), "the least room: the team's");

        put("/v1/admin/workspaces/acme/budgets/settings", "{\"spend_from\":\"records\"}");
        JsonNode status = admin.get("/v1/admin/workspaces/acme/budgets").body();
        assertEquals("records", status.get("spend_from").asText());
        assertEquals("platform", status.get("members").get("ana").asText());
        assertEquals(4, status.get("budgets").size());
    }

    @Test
    void sixtyFourGatewaysReservingAtOnceNeverOverspend() throws Exception {
        put("/v1/admin/workspaces/race/budgets/org", "{\"window\":\"month\",\"cap\":100}");
        LedgerClient.Reply first = admin.post("/v1/budget/workspaces/race/reservations", "application/json",
                "{\"user\":\"ana\",\"estimate_credits\":90}");
        assertEquals(201, first.status(), first.raw().body());
        assertEquals(200, admin.post("/v1/budget/workspaces/race/reservations/" + first.body().get("reservation_id")
                .asText() + "/settle", "application/json", "{\"actual_credits\":92.5}").status());

        ExecutorService pool = Executors.newFixedThreadPool(64);
        List<Future<LedgerClient.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String user = "user-" + i;
            replies.add(pool.submit(() -> admin.post("/v1/budget/workspaces/race/reservations", "application/json",
                    "{\"user\":\"" + user + "\",\"estimate_credits\":0.5}")));
        }
        int granted = 0;
        for (Future<LedgerClient.Reply> reply : replies) {
            LedgerClient.Reply r = reply.get();
            if (r.status() == 201) {
                granted++;
            } else {
                assertEquals(200, r.status(), r.raw().body());
                assertFalse(r.body().get("allowed").asBoolean());
            }
        }
        pool.shutdown();
        assertEquals(15, granted, "7.5 credits left hold 15 reservations of 0.5");
        JsonNode org = check("race", "anyone", 0).get("binding_level");
        assertEquals(0, new BigDecimal(org.get("remaining").asText()).signum(), "settled + reserved = cap: " + org);
    }

    @Test
    void spendFromCodexTelemetryIsPricedAtTheModelsPrice() throws Exception {
        byte[] capture = recent(fixture("json-003.json"));
        LedgerClient.Reply sent = admin.send("POST", "/v1/logs", Map.of("Content-Type", "application/json",
                "X-Ledger-Workspace", "telemetry"), capture);
        assertEquals(200, sent.status(), sent.raw().body());
        // and again: a re-sent batch counts nothing twice
        assertEquals(200, admin.send("POST", "/v1/logs", Map.of("Content-Type", "application/json",
                "X-Ledger-Workspace", "telemetry"), capture).status());
        put("/v1/admin/workspaces/telemetry/budgets/org", "{\"window\":\"month\",\"cap\":1000}");

        BigDecimal expected = expectedCost(JSON.readTree(capture));
        assertTrue(expected.signum() > 0, "the capture has usage");
        // spend is counted after the ingest's acknowledgement: read until the budget has counted it
        Eventually.assertThat(Duration.ofSeconds(20), () -> {
            JsonNode org = admin.get("/v1/admin/workspaces/telemetry/budgets").body().get("budgets").get(0);
            assertEquals(0, expected.compareTo(new BigDecimal(org.get("spent").asText())),
                    "expected " + expected + " credits, the budget counted " + org.get("spent"));
        });
    }

    /**
     * The capture as if its session had just ended: its times (recorded on 2026-11-22) moved by the same
     * amount so that its newest is now. The budget counts spend on the day of each record's time, and a
     * month's budget sees the spend of this month only.
     */
    private static byte[] recent(byte[] capture) throws Exception {
        JsonNode root = JSON.readTree(capture);
        List<com.fasterxml.jackson.databind.node.ObjectNode> logs = new ArrayList<>();
        root.path("resourceLogs").forEach(rl -> rl.path("scopeLogs").forEach(sl -> sl.path("logRecords")
                .forEach(log -> logs.add((com.fasterxml.jackson.databind.node.ObjectNode) log))));
        long newest = logs.stream().mapToLong(log -> Long.parseLong(log.path("observedTimeUnixNano").asText("0")))
                .max().orElseThrow();
        long shift = (Instant.now().toEpochMilli() - newest / 1_000_000) * 1_000_000; // whole milliseconds
        for (com.fasterxml.jackson.databind.node.ObjectNode log : logs) {
            for (String field : List.of("timeUnixNano", "observedTimeUnixNano")) {
                long nanos = Long.parseLong(log.path(field).asText("0"));
                if (nanos > 0) {
                    log.put(field, Long.toString(nanos + shift));
                }
            }
            for (JsonNode kv : log.path("attributes")) {
                if (kv.get("key").asText().equals("event.timestamp")) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) kv.get("value")).put("stringValue",
                            java.time.OffsetDateTime.parse(kv.get("value").get("stringValue").asText())
                                    .plusNanos(shift).toString());
                }
            }
        }
        return JSON.writeValueAsBytes(root);
    }

    /**
     * Independently of the product's code: each {@code response.completed} record with token counts, at
     * the configured default price (the capture's model has none of its own): uncached input 1.25,
     * cached input 0.125, output other than reasoning 10, reasoning 10 credits per million tokens, each
     * call rounded up to a micro-credit.
     */
    private static BigDecimal expectedCost(JsonNode capture) {
        BigDecimal total = BigDecimal.ZERO;
        for (JsonNode rl : capture.path("resourceLogs")) {
            for (JsonNode sl : rl.path("scopeLogs")) {
                for (JsonNode log : sl.path("logRecords")) {
                    Map<String, String> attrs = new java.util.HashMap<>();
                    log.path("attributes").forEach(kv -> attrs.put(kv.get("key").asText(),
                            kv.get("value").path("stringValue").asText(kv.get("value").path("intValue").asText())));
                    if (!"response.completed".equals(attrs.get("event.kind")) || !attrs.containsKey("input_token_count")) {
                        continue;
                    }
                    long input = Long.parseLong(attrs.get("input_token_count"));
                    long cached = Long.parseLong(attrs.getOrDefault("cached_token_count", "0"));
                    long output = Long.parseLong(attrs.get("output_token_count"));
                    long reasoning = Long.parseLong(attrs.getOrDefault("reasoning_token_count", "0"));
                    BigDecimal micros = new BigDecimal("1.25").multiply(BigDecimal.valueOf(input - cached))
                            .add(new BigDecimal("0.125").multiply(BigDecimal.valueOf(cached)))
                            .add(BigDecimal.TEN.multiply(BigDecimal.valueOf(output - reasoning)))
                            .add(BigDecimal.TEN.multiply(BigDecimal.valueOf(reasoning)))
                            .setScale(0, RoundingMode.CEILING);
                    total = total.add(micros);
                }
            }
        }
        return total.movePointLeft(6);
    }

    @Test
    void usageTheBudgetMissedIsReadBackFromTheRecordsTable() throws Exception {
        java.time.Instant now = java.time.Instant.now();
        String batch = dev.codexledger.testing.Records.array(
                dev.codexledger.testing.Records.record("h-1", "ana", now, "first"),   // 120 in, 40 out
                dev.codexledger.testing.Records.record("h-2", "ana", now, "second"),
                dev.codexledger.testing.Records.record("h-3", "bob", now, "third"));
        assertEquals(200, admin.post("/v1/workspaces/history/records", "application/json", batch).status());
        try (com.datastax.oss.driver.api.core.CqlSession session = com.datastax.oss.driver.api.core.CqlSession.builder()
                .addContactPoint(SharedCassandra.contactPoint()).withLocalDatacenter("datacenter1").build()) {
            com.typesafe.config.Config config = TestNodes.config(SharedCassandra.contactPoint(), keyspace, Map.of());
            dev.codexledger.records.RecordStore table = new dev.codexledger.records.RecordStore(session,
                    dev.codexledger.storage.CassandraSettings.fromConfig(config), ws -> Duration.ofDays(30),
                    java.time.Clock.systemUTC());
            PriceBook prices = new PriceBook(session, keyspace, config.getConfig("ledger.budget.prices"),
                    java.time.Clock.systemUTC());
            RecordsUsageSource source = new RecordsUsageSource(table, prices, Runnable::run, java.time.Clock.systemUTC(),
                    Duration.ofDays(1));
            List<WorkspaceBudget.SeqUsage> usage = source.usageBetween("history", 2, 3).toCompletableFuture().get();
            // gpt-5-codex at 1.25 / 10 credits per million: 120 × 1.25 + 40 × 10 = 550 micro-credits each
            assertEquals(List.of(2L, 3L), usage.stream().map(WorkspaceBudget.SeqUsage::seq).toList());
            assertEquals(List.of("ana", "bob"), usage.stream().map(WorkspaceBudget.SeqUsage::user).toList());
            assertTrue(usage.stream().allMatch(u -> u.micros() == 550), usage.toString());
        }
    }

    @Test
    void pricesChangeFromTheirTimeOnNeverInThePast() {
        LedgerClient.Reply past = admin.send("PUT", "/v1/admin/pricing/gpt-5-codex", Map.of("Content-Type",
                "application/json"), "{\"input\":2,\"cached_input\":0.2,\"output\":20,\"reasoning\":20,\"effective_from\":\"2020-01-01T00:00:00Z\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals(400, past.status());
        assertEquals("effective_from", past.body().get("field").asText());
        String later = Instant.now().plus(Duration.ofDays(30)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        put("/v1/admin/pricing/gpt-5-codex", "{\"input\":2,\"cached_input\":0.2,\"output\":20,\"reasoning\":20,"
                + "\"effective_from\":\"" + later + "\"}");
        JsonNode prices = admin.get("/v1/admin/pricing").body().get("prices");
        assertTrue(prices.toString().contains(later), prices.toString());
        // an estimate in tokens is priced now, at the price in force now (not the scheduled one)
        JsonNode check = admin.post("/v1/budget/workspaces/prices/check", "application/json",
                "{\"user\":\"ana\",\"model\":\"gpt-5-codex\",\"estimate_tokens\":{\"input_tokens\":1000000}}").body();
        assertEquals("1.25", check.get("estimate_credits").asText());
    }

    @Test
    void badBudgetRequestsAre400NamingTheField() {
        assertField("PUT", "/v1/admin/workspaces/acme/budgets/org", "{\"window\":\"year\",\"cap\":1}", "window");
        assertField("PUT", "/v1/admin/workspaces/acme/budgets/org", "{\"window\":\"day\",\"cap\":-1}", "cap");
        assertField("PUT", "/v1/admin/workspaces/acme/budgets/org", "{\"window\":\"day\",\"cap\":1,\"thresholds\":[0]}", "thresholds");
        assertField("PUT", "/v1/admin/workspaces/acme/budgets/users/u", "{\"window\":\"day\",\"cap\":1,\"parent\":\"x\"}", "parent");
        assertField("PUT", "/v1/admin/workspaces/acme/budgets/settings", "{\"spend_from\":\"gateway\"}", "spend_from");
        assertField("POST", "/v1/budget/workspaces/acme/check", "{\"estimate_credits\":1}", "user");
        assertField("POST", "/v1/budget/workspaces/acme/check", "{\"user\":\"u\",\"estimate_credits\":\"lots\"}", "estimate_credits");
        assertField("POST", "/v1/budget/workspaces/acme/reservations", "{\"user\":\"u\",\"ttl_seconds\":0}", "ttl_seconds");
        assertField("POST", "/v1/budget/workspaces/acme/reservations/res_0/settle", "{}", "actual_credits");
        LedgerClient.Reply unknown = admin.post("/v1/budget/workspaces/acme/reservations/res_0/settle",
                "application/json", "{\"actual_credits\":1}");
        assertEquals(409, unknown.status(), unknown.raw().body());
    }

    private static void assertField(String method, String path, String body, String field) {
        LedgerClient.Reply reply = admin.send(method, path, Map.of("Content-Type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, reply.status(), path + " " + body + " → " + reply.raw().body());
        assertEquals(field, reply.body().get("field").asText());
    }

    @Test
    void forwardAuthAllowsWithHeadersAndDeniesWithAReason() {
        put("/v1/admin/workspaces/gateway/budgets/users/ana", "{\"window\":\"day\",\"cap\":2}");
        LedgerClient.Reply allowed = admin.send("GET", "/v1/budget/forward-auth", Map.of("X-Ledger-Workspace",
                "gateway", "X-Ledger-User", "ana", "X-Ledger-Estimate-Credits", "1.5"), null);
        assertEquals(200, allowed.status(), allowed.raw().body());
        assertEquals("2", allowed.raw().headers().firstValue("X-Budget-Remaining").orElseThrow());
        assertEquals("budget", allowed.raw().headers().firstValue("X-Budget-Decided-By").orElseThrow());
        LedgerClient.Reply denied = admin.send("POST", "/v1/budget/forward-auth", Map.of("X-Ledger-Workspace",
                "gateway", "X-Ledger-User", "ana", "X-Ledger-Estimate-Credits", "3"), new byte[0]);
        assertEquals(429, denied.status(), denied.raw().body());
        assertTrue(denied.body().get("reason").asText().startsWith("user ana has 2 of 2 credits left this day"));
        assertEquals(400, admin.send("GET", "/v1/budget/forward-auth", Map.of("X-Ledger-Workspace", "gateway"),
                null).status(), "no user");
    }

    private static byte[] fixture(String name) throws Exception {
        try (InputStream in = BudgetIT.class.getResourceAsStream("/codex-otel/" + name)) {
            return in.readAllBytes();
        }
    }
}
