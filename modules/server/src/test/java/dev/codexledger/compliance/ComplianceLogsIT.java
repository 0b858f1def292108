package dev.codexledger.compliance;

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
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** OpenAI-compatible compliance log files on a node with 2-second ingestion windows. */
@ExtendWith(SharedCassandra.class)
class ComplianceLogsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LedgerNode.Running node;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        node = TestNodes.start(SharedCassandra.contactPoint(), TestNodes.newKeyspace("compliance"), Map.of(
                "ledger.compliance.file-window", "2s", "ledger.compliance.settle", "500ms"));
        admin = new LedgerClient(node.httpAddress(), TestNodes.ADMIN_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        node.stop();
    }

    /**
     * OpenAI's documented loop (list with {@code after}, download each file, continue from
     * {@code last_end_time}), run while ingest goes on: every record of each type exactly once.
     */
    @Test
    void theListDownloadLoopGetsEveryRecordExactlyOnceWhileIngestContinues() throws Exception {
        Map<String, Set<String>> sent = Map.of("CODEX_LOG", new HashSet<>(), "CODEX_SECURITY_LOG", new HashSet<>());
        CompletableFuture<Void> ingest = CompletableFuture.runAsync(() -> {
            for (int batch = 0; batch < 20; batch++) {
                StringBuilder body = new StringBuilder("[");
                for (int i = 0; i < 10; i++) {
                    String type = i % 3 == 0 ? "CODEX_SECURITY_LOG" : "CODEX_LOG";
                    String id = "loop-" + batch + "-" + i;
                    body.append(i == 0 ? "" : ",").append("{\"event_id\":\"").append(id).append("\",\"event_type\":\"")
                            .append(type).append("\",\"timestamp\":\"").append(Instant.now()).append("\"}");
                    synchronized (sent) {
                        sent.get(type).add(id);
                    }
                }
                LedgerClient.Reply reply = admin.post("/v1/workspaces/legal/records", "application/json",
                        body.append(']').toString());
                assertEquals(200, reply.status(), reply.raw().body());
                pace();
            }
        });
        Map<String, List<String>> received = Map.of("CODEX_LOG", new ArrayList<>(), "CODEX_SECURITY_LOG", new ArrayList<>());
        Map<String, String> after = new java.util.HashMap<>(Map.of("CODEX_LOG", "1970-01-01T00:00:00Z",
                "CODEX_SECURITY_LOG", "1970-01-01T00:00:00Z"));
        // the loop runs while ingest goes on, until every record sent is in a downloaded file (the last
        // windows close within 2.5 s of the last batch)
        Eventually.until(Duration.ofSeconds(60), Duration.ofMillis(300), () -> {
            boolean ingestDone = ingest.isDone();
            if (ingest.isCompletedExceptionally()) {
                ingest.join(); // the ingest's own failure, at once
            }
            listAndDownload(received, after);
            return ingestDone && receivedAll(sent, received);
        }, done -> done);
        listAndDownload(received, after); // and once more: nothing arrives twice afterwards
        ingest.join();
        for (String type : received.keySet()) {
            List<String> got = received.get(type);
            assertEquals(got.size(), new HashSet<>(got).size(), type + ": no record twice");
            assertEquals(sent.get(type), new HashSet<>(got), type + ": every record");
        }
        assertEquals(200, sent.get("CODEX_LOG").size() + sent.get("CODEX_SECURITY_LOG").size());
    }

    private static boolean receivedAll(Map<String, Set<String>> sent, Map<String, List<String>> received) {
        synchronized (sent) {
            return sent.keySet().stream().allMatch(type -> received.get(type).containsAll(sent.get(type)));
        }
    }

    /** One pass of OpenAI's loop for each type: list after the last end time, download, until no more. */
    private static void listAndDownload(Map<String, List<String>> received, Map<String, String> after)
            throws IOException, InterruptedException {
        for (String type : received.keySet()) {
            boolean more = true;
            while (more) {
                LedgerClient.Reply list = admin.get("/v1/compliance/workspaces/legal/logs?event_type=" + type
                        + "&limit=2&after=" + after.get(type));
                assertEquals(200, list.status(), list.raw().body());
                for (JsonNode file : list.body().get("data")) {
                    assertEquals(type, file.get("event_type").asText());
                    List<String> lines = download("legal", file.get("id").asText(), false);
                    assertEquals(file.get("record_count").asInt(), lines.size(), file.toString());
                    for (String line : lines) {
                        JsonNode record = JSON.readTree(line);
                        assertEquals(type, record.get("event_type").asText());
                        received.get(type).add(record.get("event_id").asText());
                    }
                }
                if (!list.body().get("last_end_time").isNull()) {
                    after.put(type, list.body().get("last_end_time").asText());
                }
                more = list.body().get("has_more").asBoolean();
            }
        }
    }

    @Test
    void aFileIsJsonLinesStreamedAndGzippedOnRequestAndNeverChanges() throws Exception {
        LedgerClient.Reply posted = admin.post("/v1/workspaces/gz/records", "application/json",
                "[{\"event_id\":\"g-1\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:00Z\",\"prompt\":\"zip me\"},"
                        + "{\"event_id\":\"g-2\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:01Z\"}]");
        assertEquals(200, posted.status());
        String id = awaitFile("gz", "CODEX_LOG");
        List<String> plain = download("gz", id, false);
        assertEquals(2, plain.size());
        assertEquals(plain, download("gz", id, true), "the same lines gzipped");
        JsonNode first = JSON.readTree(plain.get(0));
        assertEquals("g-1", first.get("event_id").asText());
        assertTrue(first.has("seq") && first.has("hash"), "each line is the record as the records API returns it");
        assertEquals(200, admin.post("/v1/workspaces/gz/records", "application/json",
                "[{\"event_id\":\"g-3\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:02Z\"}]").status());
        // until g-3's window has closed too: the files listed then hold all three records
        Eventually.until(Duration.ofSeconds(20), () -> admin.get("/v1/compliance/workspaces/gz/logs?event_type=CODEX_LOG")
                .body().get("data"), files -> {
                    int records = 0;
                    for (JsonNode file : files) {
                        records += file.get("record_count").asInt();
                    }
                    return records == 3;
                });
        assertEquals(plain, download("gz", id, false), "a listed file never changes");
    }

    /** Like CloudTrail's digest files: each listed file names the signed checkpoint that covers its records. */
    @Test
    void aListedFileCarriesTheSignedCheckpointThatCoversIt() throws Exception {
        assertEquals(200, admin.post("/v1/workspaces/signed/records", "application/json",
                "[{\"event_id\":\"s-1\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:00Z\"},"
                        + "{\"event_id\":\"s-2\",\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:01Z\"}]").status());
        awaitFile("signed", "CODEX_LOG");
        assertEquals(201, admin.post("/v1/workspaces/signed/log/checkpoints", "application/json", "").status());
        JsonNode file = admin.get("/v1/compliance/workspaces/signed/logs?event_type=CODEX_LOG").body().get("data").get(0);
        assertEquals(1, file.get("first_seq").asLong(), file.toString());
        assertEquals(2, file.get("last_seq").asLong(), file.toString());
        List<dev.codexledger.verify.NoteKey> keys = new java.util.ArrayList<>();
        admin.get("/v1/workspaces/signed/log/keys").body().get("keys")
                .forEach(k -> keys.add(dev.codexledger.verify.NoteKey.parseVerifier(k.get("verifier_key").asText())));
        dev.codexledger.verify.Checkpoint checkpoint = dev.codexledger.verify.Checkpoint.parse(
                dev.codexledger.verify.SignedNote.open(file.get("checkpoint").asText(), keys).text());
        assertEquals("codex-ledger.local/signed", checkpoint.origin());
        assertTrue(checkpoint.size() >= 2, "it covers the file's last seq: " + checkpoint.size());
    }

    @Test
    void badParametersAre400AndUnknownOrOpenFiles404() {
        assertField(admin.get("/v1/compliance/workspaces/legal/logs"), 400, "event_type");
        assertField(admin.get("/v1/compliance/workspaces/legal/logs?event_type=OTHER"), 400, "event_type");
        assertField(admin.get("/v1/compliance/workspaces/legal/logs?event_type=CODEX_LOG&after=yesterday"), 400, "after");
        assertField(admin.get("/v1/compliance/workspaces/legal/logs?event_type=CODEX_LOG&limit=0"), 400, "limit");
        assertField(admin.get("/v1/compliance/workspaces/legal/logs/nonsense"), 404, "id");
        assertField(admin.get("/v1/compliance/workspaces/legal/logs/CODEX_LOG-0-2000"), 404, "id");
        assertEquals(200, admin.post("/v1/workspaces/open/records", "application/json",
                "[{\"event_type\":\"CODEX_LOG\",\"timestamp\":\"2026-11-22T08:00:00Z\"}]").status());
        long now = System.currentTimeMillis();
        String open = "CODEX_LOG-" + (now - now % 2000) + "-2000";
        assertField(admin.get("/v1/compliance/workspaces/open/logs/" + open), 404, "id");
        LedgerClient.Reply empty = admin.get("/v1/compliance/workspaces/nobody/logs?event_type=AUTH_LOG");
        assertEquals(0, empty.body().get("data").size());
        assertFalse(empty.body().get("has_more").asBoolean());
        assertTrue(empty.body().get("last_end_time").isNull());
    }

    private static String awaitFile(String workspace, String type) {
        return Eventually.until(Duration.ofSeconds(20),
                () -> admin.get("/v1/compliance/workspaces/" + workspace + "/logs?event_type=" + type).body().get("data"),
                data -> data.size() > 0).get(0).get("id").asText();
    }

    private static List<String> download(String workspace, String id, boolean gzip)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + node.httpAddress().getPort() + "/v1/compliance/workspaces/" + workspace + "/logs/" + id))
                .header("Authorization", "Bearer " + TestNodes.ADMIN_KEY);
        if (gzip) {
            request.header("Accept-Encoding", "gzip");
        }
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        byte[] body = response.body();
        if (gzip) {
            assertEquals("gzip", response.headers().firstValue("Content-Encoding").orElse(""));
            body = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
        }
        String text = new String(body, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    private static void assertField(LedgerClient.Reply reply, int status, String field) {
        assertEquals(status, reply.status(), reply.raw().body());
        assertEquals(field, reply.body().get("field").asText(), reply.raw().body());
    }

    /**
     * The ingest's pace: a batch every 300 ms, so that it spans several 2-second windows while the loop
     * lists and downloads. Time passing is the point here, there is nothing to wait for.
     */
    private static void pace() {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
