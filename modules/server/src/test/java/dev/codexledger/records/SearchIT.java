package dev.codexledger.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.codexledger.node.LedgerNode;
import dev.codexledger.testing.LedgerClient;
import dev.codexledger.testing.SharedCassandra;
import dev.codexledger.testing.TestNodes;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Investigation search over the records API: every filter, stable cursors under ingest, streamed export. */
@ExtendWith(SharedCassandra.class)
class SearchIT {

    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("search"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
        post("inv", record("s-1", "alice", "gpt-5-codex", "cli", "conv-a", "Please DEPLOY to the prod database", null, null),
                record("s-2", "bob", "gpt-5-codex", "ide", "conv-b", "deploy staging", null, null),
                record("s-3", "carol", "o3", "cli", "conv-a", "rm -rf build", "shell", "approved"),
                record("s-4", "alice", "o3", "cloud", "conv-c", "read the docs", "shell", "denied"),
                record("s-5", "dave", "gpt-5-codex", "cli", "conv-d", "prod database dump", "apply_patch", "approved"));
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    @Test
    void eachFilterNarrowsTheResult() {
        assertEquals(List.of("s-1", "s-4"), ids("user=alice"));
        assertEquals(List.of("s-1", "s-2", "s-4"), ids("user=alice,bob"));
        assertEquals(List.of("s-3", "s-4"), ids("model=o3"));
        assertEquals(List.of("s-1", "s-3", "s-5"), ids("surface=cli"));
        assertEquals(List.of("s-1", "s-3"), ids("conversation_id=conv-a"));
        assertEquals(List.of("s-3", "s-4"), ids("tool_name=shell"));
        assertEquals(List.of("s-3", "s-5"), ids("decision=approved"));
        assertEquals(List.of("s-1", "s-2"), ids("q=deploy"), "words, case-insensitive");
        assertEquals(List.of("s-1", "s-5"), ids("q=" + enc("\"prod database\"")), "a phrase");
        assertEquals(List.of("s-1"), ids("q=" + enc("deploy \"prod database\"")), "all terms");
        assertEquals(List.of("s-5"), ids("q=" + enc("dump")));
        assertEquals(List.of("s-3"), ids("surface=cli&tool_name=shell&decision=approved&user=carol"));
        assertEquals(List.of(), ids("model=o3&surface=ide"));
        assertEquals(List.of("s-1", "s-2", "s-3", "s-4", "s-5"),
                ids("from=2026-11-22T08:00:00Z&to=2026-11-22T09:00:00Z&event_type=CODEX_LOG,CODEX_SECURITY_LOG"));
        LedgerClient.Reply bad = admin.get("/v1/workspaces/inv/records?color=red");
        assertEquals(400, bad.status());
        assertEquals("color", bad.body().get("field").asText());
    }

    @Test
    void cursorPagesNeitherSkipNorRepeatWhileIngestContinues() throws Exception {
        for (int i = 0; i < 60; i++) {
            post("busy", record("before-" + i, "u" + (i % 3), "gpt-5-codex", "cli", "c", "needle " + i, null, null));
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger();
        CompletableFuture<Void> ingest = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                int n = written.getAndIncrement();
                post("busy", record("during-" + n, "u" + (n % 3), "gpt-5-codex", "cli", "c", "needle late " + n, null, null));
            }
        });
        List<String> seen = new ArrayList<>();
        long lastSeq = 0;
        String cursor = null;
        do {
            JsonNode page = admin.get("/v1/workspaces/busy/records?user=u1&q=needle&limit=7"
                    + (cursor == null ? "" : "&cursor=" + cursor)).body();
            for (JsonNode record : page.get("records")) {
                assertTrue(record.get("seq").asLong() > lastSeq, "in sequence order, no repeats");
                lastSeq = record.get("seq").asLong();
                seen.add(record.get("event_id").asText());
            }
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
            if (seen.size() > 30) {
                stop.set(true);
            }
        } while (cursor != null);
        stop.set(true);
        ingest.join();
        assertEquals(seen.size(), new HashSet<>(seen).size(), "no record twice");
        Set<String> expectedBefore = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            if (i % 3 == 1) {
                expectedBefore.add("before-" + i);
            }
        }
        assertTrue(seen.containsAll(expectedBefore), "no gap: every record stored before the search began");
        assertTrue(written.get() > 0);
    }

    @Test
    void anExportStreamsEveryMatchAsJsonLines() {
        LedgerClient.Reply export = admin.get("/v1/workspaces/inv/records/export?surface=cli");
        assertEquals(200, export.status());
        List<String> ids = new ArrayList<>();
        for (String line : export.raw().body().split("\n")) {
            ids.add(line.substring(line.indexOf("\"event_id\":\"") + 12, line.indexOf('"', line.indexOf("\"event_id\":\"") + 12)));
        }
        assertEquals(List.of("s-1", "s-3", "s-5"), ids);
        assertTrue(export.raw().headers().firstValue("Content-Type").orElse("").contains("ndjson"));
        assertEquals(400, admin.get("/v1/workspaces/inv/records/export?event_type=NOPE").status());
    }

    private static List<String> ids(String query) {
        LedgerClient.Reply reply = admin.get("/v1/workspaces/inv/records?limit=100&" + query);
        assertEquals(200, reply.status(), reply.raw().body());
        List<String> ids = new ArrayList<>();
        reply.body().get("records").forEach(r -> ids.add(r.get("event_id").asText()));
        return ids;
    }

    private static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static String record(String id, String user, String model, String surface, String conversation,
                                 String prompt, String tool, String decision) {
        String attributes = tool == null ? "{}"
                : "{\"tool_name\":\"" + tool + "\",\"decision\":\"" + decision + "\"}";
        return "{\"event_id\":\"" + id + "\",\"event_type\":\"" + (tool == null ? "CODEX_LOG" : "CODEX_SECURITY_LOG")
                + "\",\"timestamp\":\"2026-11-22T08:30:00Z\",\"user\":{\"id\":\"" + user + "\"},\"model\":\"" + model
                + "\",\"surface\":\"" + surface + "\",\"conversation_id\":\"" + conversation + "\",\"prompt\":\""
                + prompt + "\",\"attributes\":" + attributes + "}";
    }

    private static void post(String workspace, String... records) {
        LedgerClient.Reply reply = admin.post("/v1/workspaces/" + workspace + "/records", "application/json",
                "[" + String.join(",", records) + "]");
        assertEquals(200, reply.status(), reply.raw().body());
    }
}
