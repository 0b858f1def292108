package dev.codexledger.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.Eventually;
import dev.codexledger.testing.Keys;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The analytics API against real Cassandra: numbers from ingested records and telemetry, exactly once. */
@ExtendWith(SharedCassandra.class)
class AnalyticsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LocalDate MONDAY = LocalDate.of(2026, 11, 2);
    private static LedgerNode.Running node;
    private static LedgerClient admin;
    private static String keyspace;

    @BeforeAll
    static void start() throws Exception {
        keyspace = TestNodes.newKeyspace("analytics");
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    /** A Codex record of {@code user} on {@code day} (noon UTC + minute) in a conversation. */
    static ObjectNode codex(String id, String user, LocalDate day, int minute, String surface, String model,
                            String conversation) {
        ObjectNode record = JSON.createObjectNode().put("event_id", id).put("event_type", "CODEX_LOG")
                .put("timestamp", day.atTime(12, minute).toInstant(ZoneOffset.UTC).toString())
                .put("surface", surface).put("model", model).put("conversation_id", conversation);
        record.putObject("user").put("id", user);
        return record;
    }

    static ObjectNode prompt(String id, String user, LocalDate day, int minute, String surface, String model,
                             String conversation, String text) {
        return codex(id, user, day, minute, surface, model, conversation).put("prompt", text);
    }

    static ObjectNode usage(String id, String user, LocalDate day, int minute, String surface, String model,
                            String conversation, long input, long cached, long output, long reasoning) {
        ObjectNode record = codex(id, user, day, minute, surface, model, conversation);
        record.putObject("usage").put("input_tokens", input).put("cached_input_tokens", cached)
                .put("output_tokens", output).put("reasoning_tokens", reasoning);
        return record;
    }

    static ObjectNode review(String id, String user, LocalDate day, String action, String attribute, String value) {
        ObjectNode record = JSON.createObjectNode().put("event_id", id).put("event_type", "CODE_REVIEW_LOG")
                .put("timestamp", day.atTime(9, 0).toInstant(ZoneOffset.UTC).toString()).put("action", action);
        record.putObject("user").put("id", user);
        ObjectNode attributes = record.putObject("attributes").put("repository", "acme/api");
        if (attribute != null) {
            attributes.put(attribute, value);
        }
        return record;
    }

    static void send(LedgerClient client, String workspace, List<ObjectNode> records) {
        LedgerClient.Reply reply = client.post("/v1/workspaces/" + workspace + "/records", "application/json",
                JSON.valueToTree(records).toString());
        assertEquals(200, reply.status(), reply.raw().body());
    }

    static long seconds(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** Polls an analytics path until its answer satisfies {@code done}; the analytics count in the background. */
    static JsonNode await(LedgerClient client, String path, Predicate<JsonNode> done) {
        try {
            return Eventually.until(Duration.ofSeconds(20), () -> {
                LedgerClient.Reply reply = client.get(path);
                assertEquals(200, reply.status(), reply.raw().body());
                return reply.body();
            }, done);
        } catch (AssertionError notReached) {
            throw new AssertionError("never reached: " + path, notReached);
        }
    }

    private static List<ObjectNode> week() {
        LocalDate tue = MONDAY.plusDays(1);
        LocalDate wed = MONDAY.plusDays(2);
        LocalDate nextMon = MONDAY.plusDays(7);
        return List.of(
                prompt("m1", "ana", MONDAY, 0, "cli", "gpt-5-codex", "c1", "add a test"),
                usage("m2", "ana", MONDAY, 1, "cli", "gpt-5-codex", "c1", 800_000, 0, 0, 0),
                prompt("m3", "ana", MONDAY, 2, "cli", "gpt-5-codex", "c1", "and fix it"),
                prompt("m4", "bo", MONDAY, 3, "ide", "gpt-5-mini", "c2", "explain"),
                usage("m5", "bo", MONDAY, 4, "ide", "gpt-5-mini", "c2", 4_000_000, 0, 500_000, 0),
                prompt("t1", "ana", tue, 0, "cli", "gpt-5-codex", "c1", "continue c1 on tuesday"),
                usage("t2", "ana", tue, 1, "cloud", "gpt-5-codex", "c3", 0, 0, 100_000, 40_000),
                prompt("w1", "chen", wed, 0, "exec", "gpt-5", "c4", "run"),
                prompt("n1", "ana", nextMon, 0, "cli", "gpt-5-codex", "c5", "next week"));
    }

    @Test
    void usagePerDayWeekAndUserCountsEveryRecordOnceEvenWhenResent() throws Exception {
        send(admin, "stats", week());
        send(admin, "stats", week()); // a re-sent batch: duplicates, counted nothing
        send(admin, "stats", List.of(week().get(0), week().get(1))); // and part of it again
        String range = "?start_time=" + seconds(MONDAY) + "&end_time=" + seconds(MONDAY.plusDays(14));
        JsonNode days = await(admin, "/v1/analytics/codex/workspaces/stats/usage" + range + "&limit=14",
                body -> body.get("data").get(7).get("turns").asLong() == 1);
        assertEquals(14, days.get("data").size(), "every day of the range, with or without activity");
        assertFalse(days.get("has_more").asBoolean());
        JsonNode monday = days.get("data").get(0);
        assertEquals(MONDAY.toString(), monday.get("date").asText());
        assertEquals(seconds(MONDAY), monday.get("start_time").asLong());
        assertEquals(seconds(MONDAY.plusDays(1)), monday.get("end_time").asLong());
        assertEquals(2, monday.get("threads").asLong());
        assertEquals(3, monday.get("turns").asLong());
        assertEquals(2, monday.get("active_users").asLong());
        // 800k input of gpt-5-codex = 1 credit; 4M input + 500k output of gpt-5-mini = 1 + 1
        assertEquals(0, new BigDecimal("3").compareTo(monday.get("credits").decimalValue()), monday.toString());
        assertEquals(4_800_000, monday.get("tokens").get("input").asLong());
        assertEquals(500_000, monday.get("tokens").get("output").asLong());
        JsonNode ide = find(monday.get("by_surface"), "surface", "ide");
        assertEquals(1, ide.get("active_users").asLong());
        assertEquals(1, ide.get("turns").asLong());
        JsonNode mini = find(monday.get("by_model"), "model", "gpt-5-mini");
        assertEquals(0, new BigDecimal("2").compareTo(mini.get("credits").decimalValue()));
        JsonNode tuesday = days.get("data").get(1);
        assertEquals(1, tuesday.get("threads").asLong(), "c3 started; c1 went on from Monday");
        assertEquals(1, tuesday.get("active_users").asLong());
        assertEquals(40_000, tuesday.get("tokens").get("reasoning").asLong());

        JsonNode weeks = admin.get("/v1/analytics/codex/workspaces/stats/usage" + range + "&group_by=week").body();
        assertEquals(2, weeks.get("data").size());
        JsonNode first = weeks.get("data").get(0);
        assertEquals(seconds(MONDAY), first.get("start_time").asLong());
        assertEquals(seconds(MONDAY.plusDays(7)), first.get("end_time").asLong());
        assertEquals(3, first.get("active_users").asLong(), "ana, bo and chen that week");
        assertEquals(5, first.get("turns").asLong());
        assertEquals(4, first.get("threads").asLong(), "c1, c2, c3 and c4, each once");

        JsonNode perUser = admin.get("/v1/analytics/codex/workspaces/stats/usage" + range
                + "&group_by=week&group=user").body();
        List<String> rows = new ArrayList<>();
        perUser.get("data").forEach(r -> rows.add(r.get("date").asText() + " " + r.get("user_id").asText() + " "
                + r.get("turns").asLong()));
        assertEquals(List.of(MONDAY + " ana 3", MONDAY + " bo 1", MONDAY + " chen 1", MONDAY.plusDays(7) + " ana 1"),
                rows);
    }

    @Test
    void pagesFollowNextPageWithoutGapsOrRepeats() throws Exception {
        send(admin, "paged", week());
        String range = "?start_time=" + seconds(MONDAY) + "&end_time=" + seconds(MONDAY.plusDays(14));
        await(admin, "/v1/analytics/codex/workspaces/paged/usage" + range + "&group=user",
                body -> body.get("data").size() == 5);
        List<String> seen = new ArrayList<>();
        String page = null;
        int pages = 0;
        do {
            JsonNode body = admin.get("/v1/analytics/codex/workspaces/paged/usage" + range + "&group=user&limit=2"
                    + (page == null ? "" : "&page=" + page)).body();
            body.get("data").forEach(r -> seen.add(r.get("date").asText() + "/" + r.get("user_id").asText()));
            page = body.get("has_more").asBoolean() ? body.get("next_page").asText() : null;
            pages++;
        } while (page != null);
        assertEquals(3, pages);
        assertEquals(List.of(MONDAY + "/ana", MONDAY + "/bo", MONDAY.plusDays(1) + "/ana", MONDAY.plusDays(2) + "/chen",
                MONDAY.plusDays(7) + "/ana"), seen, "in order, no gaps, no repeats");
    }

    @Test
    void codeReviewsAndResponsesAreCounted() throws Exception {
        LocalDate day = MONDAY.plusDays(3);
        send(admin, "reviews", List.of(
                review("r1", "ana", day, "review", null, null),
                review("r2", "ana", day, "comment", "priority", "P0"),
                review("r3", "ana", day, "comment", "priority", "P1"),
                review("r4", "ana", day, "comment", "priority", "P1"),
                review("r5", "bo", day, "review", null, null),
                review("r6", "bo", day, "comment", "priority", "P2"),
                review("r7", "ana", day, "reply", null, null),
                review("r8", "ana", day, "reaction", "reaction", "positive"),
                review("r9", "bo", day, "reaction", "reaction", "negative"),
                review("r10", "bo", day, "reaction", "reaction", "positive")));
        String range = "?start_time=" + seconds(day) + "&end_time=" + seconds(day.plusDays(1));
        JsonNode reviews = await(admin, "/v1/analytics/codex/workspaces/reviews/code_reviews" + range,
                body -> body.get("data").get(0).get("comments").asLong() == 4);
        JsonNode row = reviews.get("data").get(0);
        assertEquals(2, row.get("reviews").asLong());
        assertEquals(1, row.get("comments_by_priority").get("P0").asLong());
        assertEquals(2, row.get("comments_by_priority").get("P1").asLong());
        assertEquals(1, row.get("comments_by_priority").get("P2").asLong());
        JsonNode responses = admin.get("/v1/analytics/codex/workspaces/reviews/code_review_responses" + range).body();
        JsonNode r = responses.get("data").get(0);
        assertEquals(1, r.get("replies").asLong());
        assertEquals(2, r.get("reactions").get("positive").asLong());
        assertEquals(1, r.get("reactions").get("negative").asLong());
        JsonNode byUser = admin.get("/v1/analytics/codex/workspaces/reviews/code_reviews" + range + "&group=user").body();
        assertEquals("ana", byUser.get("data").get(0).get("user_id").asText());
        assertEquals(3, byUser.get("data").get(0).get("comments").asLong());
        JsonNode usage = admin.get("/v1/analytics/codex/workspaces/reviews/usage" + range).body();
        assertEquals(0, usage.get("data").get(0).get("active_users").asLong(), "reviews are not Codex sessions");

        LedgerClient.Reply bad = admin.post("/v1/workspaces/reviews/records", "application/json",
                review("r11", "ana", day, "comment", "priority", "P9").toString());
        assertEquals(400, bad.status());
        assertEquals("records[0].attributes.priority", bad.body().get("field").asText());
        LedgerClient.Reply noAction = admin.post("/v1/workspaces/reviews/records", "application/json",
                review("r12", "ana", day, "approve", null, null).toString());
        assertEquals("records[0].action", noAction.body().get("field").asText());
    }

    @Test
    void telemetryIsCountedFromTheCodexCaptureOnce() throws Exception {
        byte[] capture;
        try (InputStream in = AnalyticsIT.class.getResourceAsStream("/codex-otel/json-003.json")) {
            capture = in.readAllBytes();
        }
        for (int i = 0; i < 2; i++) {
            LedgerClient.Reply sent = admin.send("POST", "/v1/logs", Map.of("Content-Type", "application/json",
                    "X-Ledger-Workspace", "otel"), capture);
            assertEquals(200, sent.status(), sent.raw().body());
        }
        long prompts = 0;
        long input = 0;
        long output = 0;
        Set<String> conversations = new HashSet<>();
        LocalDate day = null;
        for (JsonNode rl : JSON.readTree(capture).path("resourceLogs")) {
            for (JsonNode sl : rl.path("scopeLogs")) {
                for (JsonNode log : sl.path("logRecords")) {
                    Map<String, String> attrs = new java.util.HashMap<>();
                    log.path("attributes").forEach(kv -> attrs.put(kv.get("key").asText(),
                            kv.get("value").path("stringValue").asText(kv.get("value").path("intValue").asText())));
                    if ("codex.user_prompt".equals(attrs.get("event.name"))) {
                        prompts++;
                    }
                    if (attrs.containsKey("conversation.id")) {
                        conversations.add(attrs.get("conversation.id"));
                    }
                    if (attrs.containsKey("event.timestamp")) {
                        day = java.time.OffsetDateTime.parse(attrs.get("event.timestamp")).toLocalDate();
                    }
                    if ("response.completed".equals(attrs.get("event.kind")) && attrs.containsKey("input_token_count")) {
                        input += Long.parseLong(attrs.get("input_token_count"));
                        output += Long.parseLong(attrs.get("output_token_count"));
                    }
                }
            }
        }
        assertNotNull(day);
        assertTrue(input > 0 && prompts > 0, "the capture has prompts and usage");
        long expectedInput = input;
        String range = "?start_time=" + seconds(day.minusDays(1)) + "&end_time=" + seconds(day.plusDays(2));
        JsonNode usage = await(admin, "/v1/analytics/codex/workspaces/otel/usage" + range, body -> {
            long sum = 0;
            for (JsonNode row : body.get("data")) {
                sum += row.get("tokens").get("input").asLong();
            }
            return sum == expectedInput;
        });
        long turns = 0;
        long outputSeen = 0;
        long threads = 0;
        for (JsonNode row : usage.get("data")) {
            turns += row.get("turns").asLong();
            outputSeen += row.get("tokens").get("output").asLong();
            threads += row.get("threads").asLong();
            for (JsonNode surface : row.get("by_surface")) {
                assertFalse(surface.get("surface").asText().isEmpty());
            }
        }
        assertEquals(prompts, turns);
        assertEquals(output, outputSeen);
        assertEquals(conversations.size(), threads, "each conversation of the capture once");
    }

    @Test
    void countsStayExactWhenProgressIsLostAndTheRecordsAreReadBack() throws Exception {
        send(admin, "readback", week());
        String range = "?start_time=" + seconds(MONDAY) + "&end_time=" + seconds(MONDAY.plusDays(14)) + "&group_by=week";
        String path = "/v1/analytics/codex/workspaces/readback/usage" + range;
        await(admin, path, body -> body.get("data").get(0).get("turns").asLong() == 5);
        node.stop();
        // as if the node had stopped after writing the rows and before saving how far it counted
        try (CqlSession session = CqlSession.builder().addContactPoint(SharedCassandra.contactPoint())
                .withLocalDatacenter("datacenter1").build()) {
            session.execute("DELETE FROM " + keyspace + ".analytics_progress WHERE workspace = 'readback'");
        }
        node = TestNodes.start(SharedCassandra.contactPoint(), keyspace);
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        send(admin, "readback", List.of(prompt("x1", "dev", MONDAY.plusDays(4), 0, "cli", "gpt-5", "c9", "late")));
        JsonNode after = await(admin, path, body -> body.get("data").get(0).get("active_users").asLong() == 4);
        JsonNode first = after.get("data").get(0);
        assertEquals(6, first.get("turns").asLong(), "5 read back and counted once more would be 11");
        assertEquals(5, first.get("threads").asLong());
        assertEquals(0, new BigDecimal("4").compareTo(first.get("credits").decimalValue()), first.toString());
    }

    @Test
    void exportsAreCsvAndJsonOfTheSameSeries() throws Exception {
        send(admin, "exports", week());
        String range = "start_time=" + seconds(MONDAY) + "&end_time=" + seconds(MONDAY.plusDays(7));
        await(admin, "/v1/analytics/codex/workspaces/exports/usage?" + range,
                body -> body.get("data").get(2).get("turns").asLong() == 1);
        LedgerClient.Reply csv = admin.get("/v1/analytics/codex/workspaces/exports/exports/usage_by_model?" + range);
        assertEquals(200, csv.status(), csv.raw().body());
        assertTrue(csv.raw().headers().firstValue("Content-Type").orElseThrow().startsWith("text/csv"));
        assertTrue(csv.raw().headers().firstValue("Content-Disposition").orElseThrow()
                .contains("exports-usage_by_model-" + MONDAY + "-" + MONDAY.plusDays(6) + ".csv"));
        List<String> lines = csv.raw().body().lines().toList();
        assertEquals("date,model,turns,credits,input_tokens,cached_input_tokens,output_tokens,reasoning_tokens",
                lines.get(0));
        assertTrue(lines.contains(MONDAY + ",gpt-5-mini,1,2,4000000,0,500000,0"), lines.toString());
        JsonNode json = admin.get("/v1/analytics/codex/workspaces/exports/exports/usage_by_model?format=json&" + range)
                .body();
        assertEquals(lines.size() - 1, json.get("data").size());
        JsonNode users = admin.get("/v1/analytics/codex/workspaces/exports/exports/user_activity?format=json&" + range)
                .body().get("data");
        JsonNode ana = find(users, "user_id", "ana");
        assertEquals(3, ana.get("messages").asLong());
        assertEquals(2, ana.get("sessions").asLong(), "c1 and c3, each once");
        assertEquals(2, ana.get("streak").asLong());
        String surfaces = admin.get("/v1/analytics/codex/workspaces/exports/exports/daily_users_by_surface?" + range)
                .raw().body();
        assertTrue(surfaces.contains(MONDAY + ",cli,1\n") && surfaces.contains(MONDAY + ",ide,1\n"), surfaces);

        admin.send("PUT", "/v1/admin/workspaces/exports/budgets/teams/platform", Map.of("Content-Type",
                "application/json"), "{\"window\":\"month\",\"cap\":10,\"thresholds\":[80]}".getBytes());
        String budgets = admin.get("/v1/analytics/codex/workspaces/exports/exports/budget_by_team?" + range).raw().body();
        assertTrue(budgets.startsWith("level,name,parent,window,spent,reserved,cap,remaining,used_percent"), budgets);
        assertTrue(budgets.contains("team,platform,,month,0,0,10,10,0,[80],ok,"), budgets);
    }

    @Test
    void badParametersAreNamed() {
        String base = "/v1/analytics/codex/workspaces/stats/";
        assertField(base + "usage?group_by=month", "group_by");
        assertField(base + "usage?group=team", "group");
        assertField(base + "usage?limit=0", "limit");
        assertField(base + "usage?start_time=yesterday", "start_time");
        assertField(base + "usage?start_time=100&end_time=50", "end_time");
        assertField(base + "usage?start_time=0&end_time=86400000", "start_time");
        assertField(base + "usage?page=bm9wZQ", "page");
        assertField(base + "usage?color=red", "color");
        assertField(base + "users?sort=height", "sort");
        assertField(base + "exports/everything", "series");
        assertField(base + "exports/user_activity?format=xml", "format");
        LedgerClient reader = admin.withKey(Keys.create(admin, "stats", "reader", "analytics.read").secret());
        assertEquals(200, reader.get(base + "usage").status());
        assertEquals(403, reader.get("/v1/analytics/codex/workspaces/other/usage").status());
        LedgerClient ingest = admin.withKey(Keys.create(admin, "stats", "ingest", "ingest").secret());
        assertEquals(403, ingest.get(base + "usage").status());
    }

    @Test
    void csvCellsCannotRunAsSpreadsheetFormulas() {
        assertEquals("\"'=HYPERLINK(1)\"", AnalyticsExportRoutes.csvField("=HYPERLINK(1)"));
        assertEquals("\"a,b\"", AnalyticsExportRoutes.csvField("a,b"));
        assertEquals("-3", AnalyticsExportRoutes.csvField("-3"));
        assertEquals("ana", AnalyticsExportRoutes.csvField("ana"));
    }

    private static void assertField(String path, String field) {
        LedgerClient.Reply reply = admin.get(path);
        assertEquals(400, reply.status(), path + " → " + reply.raw().body());
        assertEquals(field, reply.body().get("field").asText(), reply.raw().body());
        assertTrue(reply.body().get("error").asText().length() > 3);
    }

    private static JsonNode find(JsonNode list, String key, String value) {
        for (JsonNode item : list) {
            if (item.get(key).asText().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no " + key + "=" + value + " in " + list);
    }
}
